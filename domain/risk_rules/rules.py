"""The risk rules: pure functions from a project's facts to the findings that hold, each with its severity,
weight, evidence and the phrases of its explanation (put in words by domain.explanations)."""

import dataclasses
import functools
from typing import Any

from domain.explanations import Phrase
from domain.risk_rules.estimates import (
    RATE_PRIOR_ANSWERS,
    RATE_PRIOR_ROUNDS,
    USUAL_ANSWER_RATE,
    Gap,
    Level,
    binomial_at_most,
    decline,
    gaps,
    held,
    level,
    probability_at_or_below,
)
from domain.risk_rules.facts import (
    Finding,
    ProjectFacts,
    RoundFacts,
    Thresholds,
    known_rounds,
    pooled,
    quorate,
    series,
)
from domain.trends import trend_slope
from domain.vocabulary import FINAL_PHASES, PHASES_BEFORE_ACTIVE, Dimension, Phase, RiskReason, Severity


def grade(distance: float, medium: float, high: float) -> Severity:
    return Severity.HIGH if distance >= high else Severity.MEDIUM if distance >= medium else Severity.LOW


def low_level(facts: ProjectFacts, t: Thresholds, dimension: Dimension, threshold: float) -> tuple[Level, float] | None:
    """The latest level of `dimension` and how likely it is at or below `threshold`, with hysteresis."""
    prior = facts.portfolio_means.get(dimension)

    def probability_of(rounds: list[RoundFacts]) -> float:
        found = level(series(rounds, dimension), t, prior)
        return probability_at_or_below(found, threshold) if found else 0.0

    rounds = known_rounds(facts, t)
    found = level(series(rounds, dimension), t, prior)
    if found is None:
        return None
    probability = probability_at_or_below(found, threshold)
    return (found, probability) if held(probability, probability_of, rounds, t) else None


def low_satisfaction(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    found_low = low_level(facts, t, Dimension.OVERALL, t.low_satisfaction)
    if found_low is None:
        return []
    found, probability = found_low
    latest = found.round
    distance = max(0.0, t.low_satisfaction - found.estimate)
    says = Phrase(
        "LOW_SATISFACTION.shrunk" if found.shrunk else "LOW_SATISFACTION",
        {"threshold": t.low_satisfaction, "probability": probability, "round": latest.sequence,
         "mean": found.observed, "responses": latest.response_count, "estimate": found.estimate},
    )  # fmt: skip
    return [
        Finding(
            reason=RiskReason.LOW_SATISFACTION,
            severity=grade(distance, 0.5, 1.0),
            wording=(says,),
            evidence={
                "round": latest.sequence,
                "mean": round(found.observed, 2),
                "estimate": round(found.estimate, 2),
                "probability": round(probability, 2),
                "responseCount": latest.response_count,
            },
            weight=distance + probability - t.raise_probability,
        )
    ]


def declining_satisfaction(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    def probability_of(rounds: list[RoundFacts]) -> float:
        found = decline(series(rounds, Dimension.OVERALL), t)
        return found.probability if found else 0.0

    rounds = known_rounds(facts, t)
    found = decline(series(rounds, Dimension.OVERALL), t)
    if found is None or not held(found.probability, probability_of, rounds, t):
        return []
    window = found.window[-t.decline_window :]
    values = [m for _, m in window]
    slope = trend_slope(values)
    probability = found.probability
    steep = slope is not None and slope <= t.decline_slope
    severity = max(grade(found.drop, t.decline_drop / 2, t.decline_drop), Severity.MEDIUM if steep else Severity.LOW)
    says = Phrase(
        "DECLINING_SATISFACTION" if slope is None else "DECLINING_SATISFACTION.slope",
        {"probability": probability, "margin": t.decline_margin, "before": found.before, "since": found.since,
         "after": found.after, "first": values[0], "last": values[-1], "count": len(window), "slope": slope},
    )  # fmt: skip
    return [
        Finding(
            reason=RiskReason.DECLINING_SATISFACTION,
            severity=severity,
            wording=(says,),
            evidence={
                "rounds": [r.sequence for r, _ in window],
                "means": [round(v, 2) for v in values],
                "slope": round(slope, 3) if slope is not None else None,
                "drop": round(found.drop, 2),
                "since": found.since,
                "probability": round(probability, 2),
                "responseCounts": [r.response_count for r, _ in window],
            },
            weight=found.drop - t.decline_margin + probability - t.raise_probability,
        )
    ]


def satisfaction_gap(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    """Reads who answered what: only moderators and admins ever see it (READS_INDIVIDUAL_ANSWERS)."""
    rounds = known_rounds(facts, t)
    latest = gaps(rounds, t) if rounds else {}
    earlier: dict[int, dict[int, Gap]] = {}  # known rounds so far -> gaps then

    def probability_of(prefix: list[RoundFacts], organization: int) -> float:
        if len(prefix) not in earlier:  # computed only when some partner's history decides, once
            earlier[len(prefix)] = gaps(prefix, t)
        gap = earlier[len(prefix)].get(organization)
        return gap.probability if gap else 0.0

    kept = [
        gap
        for organization, gap in latest.items()
        if held(gap.probability, functools.partial(probability_of, organization=organization), rounds, t)
    ]
    if not kept:
        return []
    worst = max(kept, key=lambda g: (g.probability, g.gap, -g.organization))
    name = facts.partner_names.get(worst.organization)
    says = Phrase(
        "SATISFACTION_GAP",
        {"name": Phrase("a partner") if name is None else name, "threshold": t.satisfaction_gap,
         "probability": worst.probability, "own": worst.own, "rounds": worst.rounds, "others": worst.others,
         "gap": worst.gap},
    )  # fmt: skip
    return [
        Finding(
            reason=RiskReason.SATISFACTION_GAP,
            severity=grade(worst.gap - t.satisfaction_gap, 0.5, 1.5),
            wording=(says,),
            evidence={
                "round": worst.rounds[-1],
                "gap": round(worst.gap, 2),
                "lowest": round(worst.own, 2),
                "highest": round(worst.others, 2),
                "probability": round(worst.probability, 2),
                "responseCount": 1,
            },
            organization_id=worst.organization,
            weight=worst.gap - t.satisfaction_gap + worst.probability - t.raise_probability,
        )
    ]


def silent_partners(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    """A partner missed the last `silent_rounds` or more closed rounds, and at its own answer rate before
    (shrunk toward the usual 85 %) missing that many by chance is at most `silent_chance` likely."""
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
        before = expected[: len(expected) - missed]
        answered = sum(organization in r.answered_by() for r in before)
        rate = (answered + USUAL_ANSWER_RATE * RATE_PRIOR_ROUNDS) / (len(before) + RATE_PRIOR_ROUNDS)
        chance = (1 - rate) ** missed
        if chance > t.silent_chance:
            continue
        sequences = [r.sequence for r in expected[-missed:]]
        says = Phrase(
            "SILENT_PARTNER",
            {"name": name, "missed": missed, "first": sequences[0], "last": sequences[-1], "answered": answered,
             "before": len(before)},
        )  # fmt: skip
        findings.append(
            Finding(
                reason=RiskReason.SILENT_PARTNER,
                severity=grade(missed - t.silent_rounds, 1, 2),
                wording=(says,),
                evidence={"missedRounds": sequences, "answeredBefore": answered, "roundsBefore": len(before)},
                organization_id=organization,
                weight=missed - t.silent_rounds,
            )
        )
    return findings


def response_rate_drop(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    """The last two closed rounds got fewer answers than the project usually gets (from its earlier closed
    rounds, at least three): at most `response_rate_chance` likely by chance. An early sign of disengagement."""
    closed = [r for r in facts.rounds if r.closed and r.expected]
    recent, before = closed[-2:], closed[:-2]
    if len(before) < 3 or len(recent) < 2:
        return []
    # shrunk toward the usual rate: three perfect rounds of two partners do not make every miss a surprise
    usual = (sum(len(r.answered_by()) for r in before) + USUAL_ANSWER_RATE * RATE_PRIOR_ANSWERS) / (
        sum(len(r.expected) for r in before) + RATE_PRIOR_ANSWERS
    )
    answers = sum(len(r.answered_by()) for r in recent)
    expected = sum(len(r.expected) for r in recent)
    chance = binomial_at_most(answers, expected, usual)
    if chance > t.response_rate_chance or answers >= usual * expected:
        return []
    says = Phrase(
        "RESPONSE_RATE_DROP",
        {"first": recent[0].sequence, "last": recent[-1].sequence, "answers": answers, "expected": expected,
         "usual": usual, "chance": chance},
    )  # fmt: skip
    return [
        Finding(
            reason=RiskReason.RESPONSE_RATE_DROP,
            severity=grade(usual - answers / expected, 0.3, 0.5),
            wording=(says,),
            evidence={
                "rounds": [r.sequence for r in recent],
                "answers": answers,
                "expected": expected,
                "usualRate": round(usual, 2),
                "chance": round(chance, 4),
            },
            weight=usual - answers / expected,
        )
    ]


def early_signal(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    """An open round's first answers, too few to count, at or below the low threshold and (after earlier
    rounds) `decline_drop` below them: a warning for moderators and admins only. Released facts never hold
    an open round's means, so the partners' evaluation cannot produce it; no risk level, no health cost."""
    rounds = facts.rounds
    if not rounds or rounds[-1].closed or rounds[-1].response_count == 0 or quorate(rounds[-1], t):
        return []
    latest = rounds[-1]
    mean = latest.means[Dimension.OVERALL]
    if mean is None:
        return []
    history = series(known_rounds(facts, t), Dimension.OVERALL)[-3:]
    usual = pooled(history)[0] if history else None
    below = usual is not None and usual - mean >= t.decline_drop
    if mean > t.low_satisfaction or (usual is not None and not below):
        return []
    compared = (
        Phrase("EARLY_SIGNAL.below", {"drop": usual - mean, "usual": usual})
        if below and usual is not None
        else Phrase("nothing")
    )
    answers = (
        Phrase("answers of expected", {"answers": latest.response_count, "expected": len(latest.expected)})
        if latest.expected
        else latest.response_count
    )
    says = Phrase("EARLY_SIGNAL", {"round": latest.sequence, "answers": answers, "mean": mean, "compared": compared})
    return [
        Finding(
            reason=RiskReason.EARLY_SIGNAL,
            severity=Severity.LOW,
            wording=(says,),
            evidence={"round": latest.sequence, "mean": round(mean, 2), "responseCount": latest.response_count},
            weight=0.0,
        )
    ]


def unmet_expectations(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    found_low = low_level(facts, t, Dimension.EXPECTATIONS_MET, t.unmet_expectations)
    if found_low is None and not facts.overdue_goals:
        return []
    wording: list[Phrase] = []
    severity, weight = Severity.LOW, 0.0
    evidence: dict[str, Any] = {}
    if found_low is not None:
        found, probability = found_low
        latest, estimate = found.round, found.estimate
        wording.append(
            Phrase(
                "UNMET_EXPECTATIONS.low",
                {
                    "threshold": t.unmet_expectations,
                    "probability": probability,
                    "mean": found.observed,
                    "round": latest.sequence,
                    "estimate": estimate,
                },
            )
        )
        distance = max(0.0, t.unmet_expectations - estimate)
        severity = grade(distance, 0.5, 1.0)
        weight = distance
        evidence |= {
            "round": latest.sequence,
            "mean": round(found.observed, 2),
            "estimate": round(estimate, 2),
            "probability": round(probability, 2),
            "responseCount": latest.response_count,
        }
    if facts.overdue_goals:
        oldest = min(goal.due_on for goal in facts.overdue_goals)
        days = (facts.today - oldest).days
        count = len(facts.overdue_goals)
        wording.append(
            Phrase(
                "UNMET_EXPECTATIONS.goals" if count > 1 else "UNMET_EXPECTATIONS.goal",
                {"count": count, "titles": [goal.title for goal in facts.overdue_goals[:3]], "days": days},
            )
        )
        severity = max(severity, grade(days, 30, 90))
        weight = max(weight, days / 90)
        evidence |= {"overdueGoals": [goal.title for goal in facts.overdue_goals], "daysOverdue": days}
    return [
        Finding(
            reason=RiskReason.UNMET_EXPECTATIONS,
            severity=severity,
            wording=tuple(wording),
            evidence=evidence,
            weight=weight,
        )
    ]


def no_exit_plan(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase != Phase.ACTIVE or facts.has_exit_plan or facts.days_in_phase <= t.no_exit_plan_days:
        return []
    return [
        Finding(
            reason=RiskReason.NO_EXIT_PLAN,
            severity=grade(facts.days_in_phase, 180, 365),
            wording=(Phrase("NO_EXIT_PLAN", {"days": facts.days_in_phase}),),
            evidence={"daysActive": facts.days_in_phase, "threshold": t.no_exit_plan_days},
            weight=(facts.days_in_phase - t.no_exit_plan_days) / t.no_exit_plan_days,
        )
    ]


def stalled(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    if facts.phase not in PHASES_BEFORE_ACTIVE or facts.days_in_phase <= t.stalled_days:
        return []
    return [
        Finding(
            reason=RiskReason.STALLED,
            severity=grade(facts.days_in_phase, 120, 240),
            wording=(Phrase("STALLED", {"phase": facts.phase, "days": facts.days_in_phase}),),
            evidence={"phase": facts.phase, "daysInPhase": facts.days_in_phase, "threshold": t.stalled_days},
            weight=(facts.days_in_phase - t.stalled_days) / t.stalled_days,
        )
    ]


RULES = (
    low_satisfaction,
    declining_satisfaction,
    satisfaction_gap,
    silent_partners,
    response_rate_drop,
    unmet_expectations,
    no_exit_plan,
    stalled,
    early_signal,
)
# findings that warn moderators and admins without putting the project at risk
ADVISORY = frozenset({RiskReason.EARLY_SIGNAL})
# the rules that read who answered what (RoundFacts.overall_by_organization), which partners never know
READS_INDIVIDUAL_ANSWERS = frozenset({RiskReason.SATISFACTION_GAP})


def evaluate(facts: ProjectFacts, thresholds: Thresholds) -> list[Finding]:
    """Every rule that holds. Ended projects raise nothing. When three or more rules hold at once, each
    finding is one severity step worse (capped at HIGH)."""
    return escalated(holding(facts, thresholds))


def holding(facts: ProjectFacts, thresholds: Thresholds) -> list[Finding]:
    """Every rule that holds, each at its own severity (`evaluate` before the escalation)."""
    if facts.phase in FINAL_PHASES:
        return []
    return [finding for rule in RULES for finding in rule(facts, thresholds)]


def escalated(findings: list[Finding]) -> list[Finding]:
    if len({f.reason for f in findings if f.reason not in ADVISORY}) >= 3:
        findings = [
            f if f.reason in ADVISORY else dataclasses.replace(f, severity=Severity(min(f.severity + 1, Severity.HIGH)))
            for f in findings
        ]
    return findings
