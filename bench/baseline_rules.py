"""The risk rules as they were before issue 14, frozen: the baseline `python -m bench.flags` measures
the current rules against, on the same simulated data in the same run. Not used by the workers."""

from typing import Any

from domain.trends import trend_slope
from workers.analytics import (
    FINAL_PHASES,
    OPEN_PHASES_BEFORE_ACTIVE,
    PHASES_DE,
    Finding,
    ProjectFacts,
    RoundFacts,
    Severity,
    Thresholds,
    _fmt,
    _fmt_de,
    suppressed,
)

# -- risk rules --------------------------------------------------------------------------------------------


def answered_rounds(facts: ProjectFacts) -> list[RoundFacts]:
    return [r for r in facts.rounds if r.response_count > 0]


def _grade(distance: float, medium: float, high: float) -> Severity:
    return Severity.HIGH if distance >= high else Severity.MEDIUM if distance >= medium else Severity.LOW


def low_satisfaction(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    rounds = answered_rounds(facts)
    if not rounds:
        return []
    latest = rounds[-1]
    mean = latest.means["OVERALL"]
    if mean is None or mean > t.low_satisfaction:
        return []
    distance = t.low_satisfaction - mean
    numbers = f"Overall satisfaction in round {latest.sequence} is {_fmt(mean)} (threshold {_fmt(t.low_satisfaction)})."
    numbers_de = (
        f"Die Gesamtzufriedenheit in Runde {latest.sequence} liegt bei {_fmt_de(mean)} "
        f"(Schwelle {_fmt_de(t.low_satisfaction)})."
    )
    small = suppressed(latest.response_count, t.min_group_size)
    return [
        Finding(
            reason="LOW_SATISFACTION",
            severity=_grade(distance, 0.5, 1.0),
            explanation=numbers,
            partner_explanation=numbers
            if not small
            else f"Overall satisfaction in round {latest.sequence} is at or below the threshold.",
            explanation_de=numbers_de,
            partner_explanation_de=numbers_de
            if not small
            else f"Die Gesamtzufriedenheit in Runde {latest.sequence} liegt auf oder unter der Schwelle.",
            evidence={"round": latest.sequence, "mean": round(mean, 2), "responseCount": latest.response_count},
            weight=distance,
        )
    ]


def declining_satisfaction(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    window = [r for r in answered_rounds(facts) if r.means["OVERALL"] is not None][-t.decline_window :]
    if len(window) < 3:
        return []
    means = [r.means["OVERALL"] for r in window]
    assert all(m is not None for m in means)
    values = [float(m) for m in means if m is not None]
    slope = trend_slope(values)
    best = max(values)
    drop = best - values[-1]
    holds_slope = slope is not None and slope <= t.decline_slope
    holds_drop = drop >= t.decline_drop
    if not (holds_slope or holds_drop):
        return []
    severity = max(
        _grade(t.decline_slope - slope, 0.2, 0.5) if holds_slope and slope is not None else Severity.LOW,
        _grade(drop - t.decline_drop, 0.5, 1.0) if holds_drop else Severity.LOW,
    )
    first, last = window[0], window[-1]
    numbers = (
        f"Overall satisfaction fell from {_fmt(values[0])} to {_fmt(values[-1])} over the last {len(window)} rounds "
        f"({_fmt(slope or 0.0)} per round; best {_fmt(best)})."
    )
    numbers_de = (
        f"Die Gesamtzufriedenheit fiel in den letzten {len(window)} Runden von {_fmt_de(values[0])} auf "
        f"{_fmt_de(values[-1])} ({_fmt_de(slope or 0.0)} je Runde; bester Wert {_fmt_de(best)})."
    )
    small = any(suppressed(r.response_count, t.min_group_size) for r in window)
    return [
        Finding(
            reason="DECLINING_SATISFACTION",
            severity=severity,
            explanation=numbers,
            partner_explanation=numbers
            if not small
            else f"Overall satisfaction has been falling over rounds {first.sequence} to {last.sequence}.",
            explanation_de=numbers_de,
            partner_explanation_de=numbers_de
            if not small
            else f"Die Gesamtzufriedenheit sinkt seit Runde {first.sequence} (bis Runde {last.sequence}).",
            evidence={
                "rounds": [r.sequence for r in window],
                "means": [round(v, 2) for v in values],
                "slope": round(slope, 3) if slope is not None else None,
                "drop": round(drop, 2),
                "responseCounts": [r.response_count for r in window],
            },
            weight=max((t.decline_slope - slope) if holds_slope and slope is not None else 0.0, drop - t.decline_drop),
        )
    ]


def satisfaction_gap(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    rounds = [r for r in answered_rounds(facts) if len(r.overall_by_organization) >= 2]
    if not rounds or rounds[-1] is not answered_rounds(facts)[-1]:
        return []
    latest = rounds[-1]
    scores = latest.overall_by_organization
    low_org = min(scores, key=lambda org: (scores[org], org))
    high_org = max(scores, key=lambda org: (scores[org], -org))
    gap = scores[high_org] - scores[low_org]
    if gap < t.satisfaction_gap:
        return []
    low_name = facts.partner_names.get(low_org, "A partner")
    high_name = facts.partner_names.get(high_org, "another partner")
    low_name_de = facts.partner_names.get(low_org, "Ein Partner")
    high_name_de = facts.partner_names.get(high_org, "ein anderer Partner")
    return [
        Finding(
            reason="SATISFACTION_GAP",
            severity=_grade(gap - t.satisfaction_gap, 0.5, 1.5),
            # individual answers: only moderators and admins see the numbers
            explanation=(
                f"In round {latest.sequence}, {low_name} rated overall satisfaction {scores[low_org]} while "
                f"{high_name} rated it {scores[high_org]} (a gap of {_fmt(gap)})."
            ),
            partner_explanation=(
                f"In round {latest.sequence}, {low_name} is markedly less satisfied than other partners."
            ),
            explanation_de=(
                f"In Runde {latest.sequence} bewertete {low_name_de} die Gesamtzufriedenheit mit {scores[low_org]}, "
                f"{high_name_de} mit {scores[high_org]} (Abstand {_fmt_de(gap)})."
            ),
            partner_explanation_de=(
                f"In Runde {latest.sequence} ist {low_name_de} deutlich weniger zufrieden als andere Partner."
            ),
            evidence={
                "round": latest.sequence,
                "gap": gap,
                "lowest": scores[low_org],
                "highest": scores[high_org],
                "responseCount": 1,
            },
            organization_id=low_org,
            weight=gap - t.satisfaction_gap,
        )
    ]


def silent_partners(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    closed = [r for r in facts.rounds if r.closed]
    findings = []
    for organization, name in sorted(facts.partner_names.items()):
        expected = [r for r in closed if organization in r.expected]
        missed = 0
        for round_ in reversed(expected):
            if organization in round_.answered_by():
                break
            missed += 1
        if missed < t.silent_rounds:
            continue
        sequences = [r.sequence for r in expected[-missed:]]
        text = f"{name} has not answered the last {missed} survey rounds (rounds {sequences[0]}–{sequences[-1]})."
        text_de = (
            f"{name} hat die letzten {missed} Befragungsrunden nicht beantwortet "
            f"(Runden {sequences[0]}–{sequences[-1]})."
        )
        findings.append(
            Finding(
                reason="SILENT_PARTNER",
                severity=_grade(missed - t.silent_rounds, 1, 2),
                explanation=text,
                partner_explanation=text,
                explanation_de=text_de,
                partner_explanation_de=text_de,
                evidence={"missedRounds": sequences},
                organization_id=organization,
                weight=missed - t.silent_rounds,
            )
        )
    return findings


def unmet_expectations(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    rounds = answered_rounds(facts)
    latest = rounds[-1] if rounds else None
    mean = latest.means["EXPECTATIONS_MET"] if latest else None
    low = latest is not None and mean is not None and mean <= t.unmet_expectations
    if not low and not facts.overdue_goals:
        return []
    parts, partner_parts, parts_de, partner_parts_de = [], [], [], []
    severity, weight = Severity.LOW, 0.0
    evidence: dict[str, Any] = {}
    if low and latest is not None and mean is not None:
        parts.append(
            f"expectations met scored {_fmt(mean)} in round {latest.sequence} (threshold {_fmt(t.unmet_expectations)})"
        )
        parts_de.append(
            f"die Erwartungserfüllung lag in Runde {latest.sequence} bei {_fmt_de(mean)} "
            f"(Schwelle {_fmt_de(t.unmet_expectations)})"
        )
        small = suppressed(latest.response_count, t.min_group_size)
        partner_parts.append(
            parts[-1] if not small else f"expectations met scored at or below the threshold in round {latest.sequence}"
        )
        partner_parts_de.append(
            parts_de[-1]
            if not small
            else f"die Erwartungserfüllung lag in Runde {latest.sequence} auf oder unter der Schwelle"
        )
        severity = _grade(t.unmet_expectations - mean, 0.5, 1.0)
        weight = t.unmet_expectations - mean
        evidence |= {"round": latest.sequence, "mean": round(mean, 2), "responseCount": latest.response_count}
    if facts.overdue_goals:
        oldest = min(goal.due_on for goal in facts.overdue_goals)
        days = (facts.today - oldest).days
        titles = ", ".join(f"“{goal.title}”" for goal in facts.overdue_goals[:3])
        count = len(facts.overdue_goals)
        parts.append(
            f"{count} goal{'s are' if count > 1 else ' is'} past due and still open ({titles}; up to {days} days)"
        )
        partner_parts.append(parts[-1])
        titles_de = ", ".join(f"„{goal.title}“" for goal in facts.overdue_goals[:3])
        parts_de.append(
            f"{count} {'Ziele sind' if count > 1 else 'Ziel ist'} überfällig und noch offen "
            f"({titles_de}; bis zu {days} Tage)"
        )
        partner_parts_de.append(parts_de[-1])
        severity = max(severity, _grade(days, 30, 90))
        weight = max(weight, days / 90)
        evidence |= {"overdueGoals": [goal.title for goal in facts.overdue_goals], "daysOverdue": days}
    return [
        Finding(
            reason="UNMET_EXPECTATIONS",
            severity=severity,
            explanation=_sentence(parts),
            partner_explanation=_sentence(partner_parts),
            explanation_de=_sentence(parts_de),
            partner_explanation_de=_sentence(partner_parts_de),
            evidence=evidence,
            weight=weight,
        )
    ]


def no_exit_plan(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase != "ACTIVE" or facts.has_exit_plan or facts.days_in_phase <= t.no_exit_plan_days:
        return []
    text = f"The project has been ACTIVE for {facts.days_in_phase} days without an agreed exit plan."
    text_de = f"Das Projekt ist seit {facts.days_in_phase} Tagen aktiv, ohne dass ein Exit-Plan vereinbart ist."
    return [
        Finding(
            reason="NO_EXIT_PLAN",
            severity=_grade(facts.days_in_phase, 180, 365),
            explanation=text,
            partner_explanation=text,
            explanation_de=text_de,
            partner_explanation_de=text_de,
            evidence={"daysActive": facts.days_in_phase, "threshold": t.no_exit_plan_days},
            weight=(facts.days_in_phase - t.no_exit_plan_days) / t.no_exit_plan_days,
        )
    ]


def stalled(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase not in OPEN_PHASES_BEFORE_ACTIVE or facts.days_in_phase <= t.stalled_days:
        return []
    text = f"The project has been in {facts.phase} for {facts.days_in_phase} days without moving on."
    phase_de = PHASES_DE.get(facts.phase, facts.phase)
    text_de = f"Das Projekt steht seit {facts.days_in_phase} Tagen in der Phase „{phase_de}“, ohne voranzukommen."
    return [
        Finding(
            reason="STALLED",
            severity=_grade(facts.days_in_phase, 120, 240),
            explanation=text,
            partner_explanation=text,
            explanation_de=text_de,
            partner_explanation_de=text_de,
            evidence={"phase": facts.phase, "daysInPhase": facts.days_in_phase, "threshold": t.stalled_days},
            weight=(facts.days_in_phase - t.stalled_days) / t.stalled_days,
        )
    ]


def _sentence(parts: list[str]) -> str:
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


RULES = (
    low_satisfaction,
    declining_satisfaction,
    satisfaction_gap,
    silent_partners,
    unmet_expectations,
    no_exit_plan,
    stalled,
)


def evaluate(facts: ProjectFacts, thresholds: Thresholds) -> list[Finding]:
    """Every rule that holds. Ended projects raise nothing. When three or more rules hold at once, each
    finding is one severity step worse (capped at HIGH)."""
    if facts.phase in FINAL_PHASES:
        return []
    findings = [finding for rule in RULES for finding in rule(facts, thresholds)]
    if len({f.reason for f in findings}) >= 3:
        findings = [
            Finding(**{**f.__dict__, "severity": Severity(min(f.severity + 1, Severity.HIGH))}) for f in findings
        ]
    return findings


# the rule table as it stood, every threshold these rules read spelled out: today's defaults move
BASELINE = Thresholds(
    low_satisfaction=2.5,
    decline_slope=-0.3,
    decline_drop=1.0,
    decline_window=5,
    satisfaction_gap=1.5,
    silent_rounds=2,
    unmet_expectations=2.0,
    no_exit_plan_days=90,
    stalled_days=60,
    min_group_size=3,
)
