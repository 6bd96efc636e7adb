"""The risk rules as they were before issue 14, frozen: the baseline `python -m bench.flags` measures
the current rules against, on the same simulated data in the same run. Not used by the workers.
Only what the measures read is kept (reason, organization, severity, evidence, weight): the baseline's
explanation texts were never measured and are gone."""

import dataclasses
from typing import Any

from domain.risk_rules import Finding, ProjectFacts, RoundFacts, Thresholds
from domain.trends import trend_slope
from domain.vocabulary import FINAL_PHASES, PHASES_BEFORE_ACTIVE, Severity

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
    return [
        Finding(
            reason="LOW_SATISFACTION",
            severity=_grade(distance, 0.5, 1.0),
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
    return [
        Finding(
            reason="DECLINING_SATISFACTION",
            severity=severity,
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
    return [
        Finding(
            reason="SATISFACTION_GAP",
            severity=_grade(gap - t.satisfaction_gap, 0.5, 1.5),
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
    for organization, _name in sorted(facts.partner_names.items()):
        expected = [r for r in closed if organization in r.expected]
        missed = 0
        for round_ in reversed(expected):
            if organization in round_.answered_by():
                break
            missed += 1
        if missed < t.silent_rounds:
            continue
        sequences = [r.sequence for r in expected[-missed:]]
        findings.append(
            Finding(
                reason="SILENT_PARTNER",
                severity=_grade(missed - t.silent_rounds, 1, 2),
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
    severity, weight = Severity.LOW, 0.0
    evidence: dict[str, Any] = {}
    if low and latest is not None and mean is not None:
        severity = _grade(t.unmet_expectations - mean, 0.5, 1.0)
        weight = t.unmet_expectations - mean
        evidence |= {"round": latest.sequence, "mean": round(mean, 2), "responseCount": latest.response_count}
    if facts.overdue_goals:
        oldest = min(goal.due_on for goal in facts.overdue_goals)
        days = (facts.today - oldest).days
        severity = max(severity, _grade(days, 30, 90))
        weight = max(weight, days / 90)
        evidence |= {"overdueGoals": [goal.title for goal in facts.overdue_goals], "daysOverdue": days}
    return [Finding(reason="UNMET_EXPECTATIONS", severity=severity, evidence=evidence, weight=weight)]


def no_exit_plan(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase != "ACTIVE" or facts.has_exit_plan or facts.days_in_phase <= t.no_exit_plan_days:
        return []
    return [
        Finding(
            reason="NO_EXIT_PLAN",
            severity=_grade(facts.days_in_phase, 180, 365),
            evidence={"daysActive": facts.days_in_phase, "threshold": t.no_exit_plan_days},
            weight=(facts.days_in_phase - t.no_exit_plan_days) / t.no_exit_plan_days,
        )
    ]


def stalled(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase not in PHASES_BEFORE_ACTIVE or facts.days_in_phase <= t.stalled_days:
        return []
    return [
        Finding(
            reason="STALLED",
            severity=_grade(facts.days_in_phase, 120, 240),
            evidence={"phase": facts.phase, "daysInPhase": facts.days_in_phase, "threshold": t.stalled_days},
            weight=(facts.days_in_phase - t.stalled_days) / t.stalled_days,
        )
    ]


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
        findings = [dataclasses.replace(f, severity=Severity(min(f.severity + 1, Severity.HIGH))) for f in findings]
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
