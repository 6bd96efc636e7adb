"""Trends, risk rules and health: pure functions on a few numbers per project. No I/O.

The SQL in db/recompute.py and db/bulk.py aggregates the answers; these functions turn the per-round numbers
into slopes, explainable risk findings and a health score (docs/design.md, "Risk rules").
"""

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

from domain.trends import trend_slope

DIMENSIONS = ("OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST")
OPEN_PHASES_BEFORE_ACTIVE = ("ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION")
FINAL_PHASES = ("COMPLETED", "TERMINATED")


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclass(frozen=True)
class Thresholds:
    """The rules' defaults; configurable through settings."""

    low_satisfaction: float = 2.5
    decline_slope: float = -0.3
    decline_drop: float = 1.0
    decline_window: int = 5
    satisfaction_gap: float = 1.0
    silent_rounds: int = 3
    unmet_expectations: float = 2.0
    no_exit_plan_days: int = 90
    stalled_days: int = 60
    min_group_size: int = 3
    open_round_quorum: float = 0.75
    # a person's noise (0.5-0.8) plus who of partners with different levels answered, plus integer answers
    answer_noise: float = 0.9
    level_drift: float = 0.8
    portfolio_spread: float = 0.6
    raise_probability: float = 0.95
    resolve_probability: float = 0.5
    decline_margin: float = 0.3
    silent_chance: float = 0.003
    response_rate_chance: float = 0.002


@dataclass(frozen=True)
class RoundFacts:
    """One survey round as the rules see it."""

    sequence: int
    closed: bool
    means: dict[str, float | None]  # dimension -> mean over the round's answers (None: no answers)
    response_count: int
    expected: frozenset[int] = frozenset()  # organizations expected to answer
    overall_by_organization: dict[int, int] = field(default_factory=dict)  # who answered what (overall)
    # who answered, without what: participation stays known where the scores are withheld (domain.disclosure)
    answered: frozenset[int] = frozenset()

    def answered_by(self) -> frozenset[int]:
        return self.answered or frozenset(self.overall_by_organization)


@dataclass(frozen=True)
class Goal:
    title: str
    due_on: date


@dataclass(frozen=True)
class ProjectFacts:
    phase: str
    days_in_phase: int
    has_exit_plan: bool
    rounds: list[RoundFacts]  # in sequence order
    partner_names: dict[int, str]  # current non-moderator partners
    overdue_goals: list[Goal] = field(default_factory=list)
    today: date = field(default_factory=date.today)
    # dimension -> the portfolio's mean: the prior a project's first rounds are shrunk toward
    portfolio_means: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A rule that holds: what, about whom, how bad, and why in words and numbers."""

    reason: str
    severity: Severity
    explanation: str
    # the explanation for plain partners: no number resting on fewer answers than the minimum group size
    partner_explanation: str
    evidence: dict[str, Any]
    organization_id: int | None = None
    # how far past its threshold, 0..1+, to order projects of equal severity
    weight: float = 0.0
    # the same two explanations in German (the dashboard and API clients ask for a language)
    explanation_de: str = ""
    partner_explanation_de: str = ""


def suppressed(response_count: int, min_group_size: int) -> bool:
    """Whether an aggregate over `response_count` answers must be hidden from plain partners."""
    return response_count < min_group_size


# -- what is known, and how sure ----------------------------------------------------------------------------


def known_rounds(facts: ProjectFacts, t: Thresholds) -> list[RoundFacts]:
    """The rounds the rules judge: closed rounds with answers, and an open round once it has its quorum
    (a share of the expected answers). A round's first answers alone would swing every mean."""
    return [r for r in facts.rounds if r.response_count > 0 and (r.closed or _quorate(r, t))]


def _quorate(round_: RoundFacts, t: Thresholds) -> bool:
    return bool(round_.expected) and round_.response_count >= max(
        2, math.ceil(t.open_round_quorum * len(round_.expected))
    )


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _pct(probability: float) -> str:
    return f"{min(99, max(1, round(100 * probability)))} %"


def _series(rounds: list[RoundFacts], dimension: str) -> list[tuple[RoundFacts, float]]:
    return [(r, float(m)) for r in rounds if (m := r.means[dimension]) is not None]


def _pooled(points: list[tuple[RoundFacts, float]]) -> tuple[float, int]:
    """Mean over the answers of several rounds (each round weighs by its answers) and their number."""
    count = sum(r.response_count for r, _ in points)
    return sum(m * r.response_count for r, m in points) / count, count


@dataclass(frozen=True)
class Level:
    """The estimated level of a dimension in the latest known round, shrunk toward what came before."""

    estimate: float
    sd: float
    observed: float
    round: RoundFacts
    shrunk: bool = True  # toward the rounds before or the portfolio (False: the round's own mean)


def level(points: list[tuple[RoundFacts, float]], t: Thresholds, prior: float | None = None) -> Level | None:
    """Empirical Bayes: the latest round's mean (noise `answer_noise`/√n) combined with the mean of up to four
    earlier rounds (allowed to have moved by `level_drift`), or with the portfolio's level before any history."""
    if not points:
        return None
    latest, observed = points[-1]
    variance = t.answer_noise**2 / latest.response_count
    history = points[-5:-1]
    if history:
        prior_mean, count = _pooled(history)
        prior_variance = t.answer_noise**2 / count + t.level_drift**2
    elif prior is not None:
        prior_mean, prior_variance = prior, t.portfolio_spread**2
    else:
        return Level(observed, math.sqrt(variance), observed, latest, shrunk=False)
    weight = prior_variance / (prior_variance + variance)
    estimate = weight * observed + (1 - weight) * prior_mean
    return Level(estimate, math.sqrt(weight * variance), observed, latest)


def probability_at_or_below(found: Level, threshold: float) -> float:
    return _normal_cdf((threshold - found.estimate) / found.sd) if found.sd > 0 else float(found.estimate <= threshold)


@dataclass(frozen=True)
class Decline:
    probability: float  # that the level fell by more than decline_margin
    drop: float  # estimated fall, points
    before: float
    after: float
    since: int  # the round the fall began (sequence)
    window: list[tuple[RoundFacts, float]]


def decline(points: list[tuple[RoundFacts, float]], t: Thresholds) -> Decline | None:
    """The likeliest change point among the last three known rounds: how probable is it that the rounds from
    there on sit more than `decline_margin` below the (up to five) rounds before? Needs two rounds before."""
    points = points[-8:]  # five before the earliest change point, three after
    if len(points) < 3:
        return None
    sums, counts = [0.0], [0]  # running totals: each change point costs O(1)
    for round_, mean in points:
        sums.append(sums[-1] + mean * round_.response_count)
        counts.append(counts[-1] + round_.response_count)
    end, best = len(points), None
    for start in range(max(2, end - 3), end):
        first = max(0, start - 5)
        before_count, after_count = counts[start] - counts[first], counts[end] - counts[start]
        before_mean = (sums[start] - sums[first]) / before_count
        after_mean = (sums[end] - sums[start]) / after_count
        sd = t.answer_noise * math.sqrt(1 / before_count + 1 / after_count)
        drop = before_mean - after_mean
        probability = _normal_cdf((drop - t.decline_margin) / sd)
        if best is None or probability > best[0]:
            best = (probability, drop, before_mean, after_mean, start, first)
    assert best is not None
    probability, drop, before_mean, after_mean, start, first = best
    return Decline(probability, drop, before_mean, after_mean, points[start][0].sequence, points[first:])


def latched(probabilities: list[float], t: Thresholds) -> bool:
    """Hysteresis over the last known rounds' probabilities (oldest first): a rule is raised once its
    probability reaches `raise_probability` and resolves only when it falls below `resolve_probability`."""
    on = False
    for probability in probabilities:
        on = probability >= t.raise_probability or (on and probability >= t.resolve_probability)
    return on


def held(
    last: float, probability_of: Callable[[list[RoundFacts]], float], rounds: list[RoundFacts], t: Thresholds
) -> bool:
    """`latched` for the latest known rounds, given the latest probability: the rounds before are looked at
    only when it lies between the resolve and raise probabilities (where the history decides)."""
    if last >= t.raise_probability or last < t.resolve_probability:
        return last >= t.raise_probability
    return latched([*(probability_of(prefix) for prefix in _prefixes(rounds)[:-1]), last], t)


def _prefixes(rounds: list[RoundFacts]) -> list[list[RoundFacts]]:
    """The known rounds as they stood over the last HYSTERESIS_ROUNDS rounds, oldest first."""
    return [rounds[:end] for end in range(max(1, len(rounds) - HYSTERESIS_ROUNDS + 1), len(rounds) + 1)]


HYSTERESIS_ROUNDS = 4


# -- risk rules --------------------------------------------------------------------------------------------


def _grade(distance: float, medium: float, high: float) -> Severity:
    return Severity.HIGH if distance >= high else Severity.MEDIUM if distance >= medium else Severity.LOW


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace("-", "−")


def _fmt_de(value: float, digits: int = 1) -> str:
    return _fmt(value, digits).replace(".", ",")


# slopes are compared with thresholds such as −0.3 per round: one decimal would show −0.25 as "−0.2"
SLOPE_DIGITS = 2


PHASES_EN = {"ASSESSMENT": "assessment", "GOAL_SETTING": "goal setting", "PARTNER_SEARCH": "partner search",
             "INITIATION": "initiation", "ACTIVE": "active"}  # fmt: skip
PHASES_DE = {"ASSESSMENT": "Bewertung", "GOAL_SETTING": "Zielsetzung", "PARTNER_SEARCH": "Partnersuche",
             "INITIATION": "Anbahnung", "ACTIVE": "Aktiv"}  # fmt: skip


def _low_level(facts: ProjectFacts, t: Thresholds, dimension: str, threshold: float) -> tuple[Level, float] | None:
    """The latest level of `dimension` and how likely it is at or below `threshold`, with hysteresis."""
    prior = facts.portfolio_means.get(dimension)

    def probability_of(rounds: list[RoundFacts]) -> float:
        found = level(_series(rounds, dimension), t, prior)
        return probability_at_or_below(found, threshold) if found else 0.0

    rounds = known_rounds(facts, t)
    found = level(_series(rounds, dimension), t, prior)
    if found is None:
        return None
    probability = probability_at_or_below(found, threshold)
    return (found, probability) if held(probability, probability_of, rounds, t) else None


def low_satisfaction(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    held = _low_level(facts, t, "OVERALL", t.low_satisfaction)
    if held is None:
        return []
    found, probability = held
    latest = found.round
    distance = max(0.0, t.low_satisfaction - found.estimate)
    numbers = (
        f"Overall satisfaction is likely at or below {_fmt(t.low_satisfaction)} ({_pct(probability)}): "
        f"round {latest.sequence} averaged {_fmt(found.observed)} from {latest.response_count} answers"
        + (f", an estimated level of {_fmt(found.estimate)} with the rounds before." if found.shrunk else ".")
    )
    numbers_de = (
        f"Die Gesamtzufriedenheit liegt wahrscheinlich auf oder unter {_fmt_de(t.low_satisfaction)} "
        f"({_pct(probability)}): Runde {latest.sequence} ergab im Mittel {_fmt_de(found.observed)} aus "
        f"{latest.response_count} Antworten"
        + (f", mit den Runden davor geschätzt {_fmt_de(found.estimate)}." if found.shrunk else ".")
    )
    small = suppressed(latest.response_count, t.min_group_size)
    return [
        Finding(
            reason="LOW_SATISFACTION",
            severity=_grade(distance, 0.5, 1.0),
            explanation=numbers,
            partner_explanation=numbers
            if not small
            else f"Overall satisfaction in round {latest.sequence} is likely at or below the threshold.",
            explanation_de=numbers_de,
            partner_explanation_de=numbers_de
            if not small
            else (
                f"Die Gesamtzufriedenheit in Runde {latest.sequence} liegt wahrscheinlich auf oder unter der Schwelle."
            ),
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
        found = decline(_series(rounds, "OVERALL"), t)
        return found.probability if found else 0.0

    rounds = known_rounds(facts, t)
    found = decline(_series(rounds, "OVERALL"), t)
    if found is None or not held(found.probability, probability_of, rounds, t):
        return []
    window = found.window[-t.decline_window :]
    values = [m for _, m in window]
    slope = trend_slope(values)
    probability = found.probability
    steep = slope is not None and slope <= t.decline_slope
    severity = max(_grade(found.drop, t.decline_drop / 2, t.decline_drop), Severity.MEDIUM if steep else Severity.LOW)
    first, last = window[0][0], window[-1][0]
    numbers = (
        f"Overall satisfaction is likely declining ({_pct(probability)} that it fell by more than "
        f"{_fmt(t.decline_margin)}): from {_fmt(found.before)} before round {found.since} to {_fmt(found.after)} "
        f"since; {_fmt(values[0])} to {_fmt(values[-1])} over the last {len(window)} rounds"
        + (f" ({_fmt(slope, SLOPE_DIGITS)} per round)." if slope is not None else ".")
    )
    numbers_de = (
        f"Die Gesamtzufriedenheit sinkt wahrscheinlich ({_pct(probability)}, dass sie um mehr als "
        f"{_fmt_de(t.decline_margin)} fiel): von {_fmt_de(found.before)} vor Runde {found.since} auf "
        f"{_fmt_de(found.after)} seitdem; in den letzten {len(window)} Runden von {_fmt_de(values[0])} auf "
        f"{_fmt_de(values[-1])}" + (f" ({_fmt_de(slope, SLOPE_DIGITS)} je Runde)." if slope is not None else ".")
    )
    small = any(suppressed(r.response_count, t.min_group_size) for r, _ in found.window)
    return [
        Finding(
            reason="DECLINING_SATISFACTION",
            severity=severity,
            explanation=numbers,
            partner_explanation=numbers
            if not small
            else (
                f"Overall satisfaction has likely been falling over rounds {first.sequence} to {last.sequence} "
                f"({_pct(probability)})."
            ),
            explanation_de=numbers_de,
            partner_explanation_de=numbers_de
            if not small
            else (
                f"Die Gesamtzufriedenheit sinkt wahrscheinlich seit Runde {first.sequence} (bis Runde "
                f"{last.sequence}; {_pct(probability)})."
            ),
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


@dataclass(frozen=True)
class Gap:
    organization: int
    probability: float  # that the partner's true gap to the others exceeds satisfaction_gap
    gap: float
    own: float
    others: float
    rounds: list[int]


def gaps(rounds: list[RoundFacts], t: Thresholds) -> dict[int, Gap]:
    """Per partner over the last two known rounds with answers from two or more partners: how far below the
    others' answers in the same rounds its own lie, and how likely that is more than `satisfaction_gap`.
    Only partners with a probability of at least `resolve_probability` (the others hold no flag)."""
    window: list[RoundFacts] = []
    for round_ in reversed(rounds):
        if len(round_.overall_by_organization) >= 2:
            window.insert(0, round_)
            if len(window) == 2:
                break
    if not window or window[-1] is not rounds[-1]:
        return {}
    totals = [(sum(r.overall_by_organization.values()), len(r.overall_by_organization)) for r in window]
    found = {}
    for organization in sorted({org for r in window for org in r.overall_by_organization}):
        own_sum = own_count = others_sum = others_count = 0
        for round_, (total, count) in zip(window, totals, strict=True):
            score = round_.overall_by_organization.get(organization)
            if score is not None:
                own_sum, own_count = own_sum + score, own_count + 1
                others_sum, others_count = others_sum + total - score, others_count + count - 1
        own_mean, others_mean = own_sum / own_count, others_sum / others_count
        gap = others_mean - own_mean
        if gap < t.satisfaction_gap:  # a probability below one half: nothing to raise or to hold
            continue
        sd = t.answer_noise * math.sqrt(1 / own_count + 1 / others_count)
        probability = _normal_cdf((gap - t.satisfaction_gap) / sd)
        if probability < t.resolve_probability:
            continue
        sequences = [r.sequence for r in window if organization in r.overall_by_organization]
        found[organization] = Gap(organization, probability, gap, own_mean, others_mean, sequences)
    return found


def satisfaction_gap(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
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
    name = facts.partner_names.get(worst.organization, "A partner")
    name_de = facts.partner_names.get(worst.organization, "Ein Partner")
    where = ", ".join(str(s) for s in worst.rounds)
    return [
        Finding(
            reason="SATISFACTION_GAP",
            severity=_grade(worst.gap - t.satisfaction_gap, 0.5, 1.5),
            # individual answers: only moderators and admins see the numbers
            explanation=(
                f"{name} is likely less satisfied than the other partners by more than {_fmt(t.satisfaction_gap)} "
                f"({_pct(worst.probability)}): it rated overall satisfaction {_fmt(worst.own)} in round(s) {where} "
                f"while the others rated it {_fmt(worst.others)} (a gap of {_fmt(worst.gap)})."
            ),
            partner_explanation=f"In round {worst.rounds[-1]}, {name} is markedly less satisfied than other partners.",
            explanation_de=(
                f"{name_de} ist wahrscheinlich um mehr als {_fmt_de(t.satisfaction_gap)} weniger zufrieden als die "
                f"anderen Partner ({_pct(worst.probability)}): Gesamtzufriedenheit {_fmt_de(worst.own)} in Runde(n) "
                f"{where}, die anderen {_fmt_de(worst.others)} (Abstand {_fmt_de(worst.gap)})."
            ),
            partner_explanation_de=(
                f"In Runde {worst.rounds[-1]} ist {name_de} deutlich weniger zufrieden als andere Partner."
            ),
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
        text = (
            f"{name} has not answered the last {missed} survey rounds (rounds {sequences[0]}–{sequences[-1]}); "
            f"it answered {answered} of {len(before)} rounds before."
        )
        text_de = (
            f"{name} hat die letzten {missed} Befragungsrunden nicht beantwortet "
            f"(Runden {sequences[0]}–{sequences[-1]}); davor {answered} von {len(before)} Runden."
        )
        findings.append(
            Finding(
                reason="SILENT_PARTNER",
                severity=_grade(missed - t.silent_rounds, 1, 2),
                explanation=text,
                partner_explanation=text,
                explanation_de=text_de,
                partner_explanation_de=text_de,
                evidence={"missedRounds": sequences, "answeredBefore": answered, "roundsBefore": len(before)},
                organization_id=organization,
                weight=missed - t.silent_rounds,
            )
        )
    return findings


USUAL_ANSWER_RATE = 0.85
RATE_PRIOR_ROUNDS = 4
RATE_PRIOR_ANSWERS = 10


def _binomial_at_most(successes: int, trials: int, rate: float) -> float:
    return sum(math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k) for k in range(successes + 1))


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
    chance = _binomial_at_most(answers, expected, usual)
    if chance > t.response_rate_chance or answers >= usual * expected:
        return []
    text = (
        f"Rounds {recent[0].sequence}–{recent[-1].sequence} got {answers} of {expected} expected answers, "
        f"where the project usually gets {round(100 * usual)} % (this few by chance: {_fmt(100 * chance)} %)."
    )
    text_de = (
        f"Die Runden {recent[0].sequence}–{recent[-1].sequence} erhielten {answers} von {expected} erwarteten "
        f"Antworten, sonst sind es {round(100 * usual)} % (so wenige zufällig: {_fmt_de(100 * chance)} %)."
    )
    return [
        Finding(
            reason="RESPONSE_RATE_DROP",
            severity=_grade(usual - answers / expected, 0.3, 0.5),
            explanation=text,
            partner_explanation=text,
            explanation_de=text_de,
            partner_explanation_de=text_de,
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
    if not rounds or rounds[-1].closed or rounds[-1].response_count == 0 or _quorate(rounds[-1], t):
        return []
    latest = rounds[-1]
    mean = latest.means["OVERALL"]
    if mean is None:
        return []
    history = _series(known_rounds(facts, t), "OVERALL")[-3:]
    usual = _pooled(history)[0] if history else None
    below = usual is not None and usual - mean >= t.decline_drop
    if mean > t.low_satisfaction or (usual is not None and not below):
        return []
    compared = (
        f", {_fmt(usual - mean)} below the {_fmt(usual)} of the rounds before" if below and usual is not None else ""
    )
    compared_de = (
        f", {_fmt_de(usual - mean)} unter den {_fmt_de(usual)} der Runden davor" if below and usual is not None else ""
    )
    of = f"{latest.response_count} of {len(latest.expected)}" if latest.expected else f"{latest.response_count}"
    of_de = f"{latest.response_count} von {len(latest.expected)}" if latest.expected else f"{latest.response_count}"
    text = (
        f"Early signal: the first answers in open round {latest.sequence} ({of} expected) average {_fmt(mean)}"
        f"{compared}. Too few to judge yet; the rules count the round once it closes or has its quorum."
    )
    text_de = (
        f"Frühes Signal: die ersten Antworten in der offenen Runde {latest.sequence} ({of_de} erwartet) ergeben "
        f"im Mittel {_fmt_de(mean)}{compared_de}. Noch zu wenige für ein Urteil; die Regeln zählen die Runde, "
        f"sobald sie geschlossen ist oder ihr Quorum hat."
    )
    return [
        Finding(
            reason="EARLY_SIGNAL",
            severity=Severity.LOW,
            explanation=text,
            partner_explanation=text,
            explanation_de=text_de,
            partner_explanation_de=text_de,
            evidence={"round": latest.sequence, "mean": round(mean, 2), "responseCount": latest.response_count},
            weight=0.0,
        )
    ]


def unmet_expectations(facts: ProjectFacts, t: Thresholds) -> list[Finding]:
    held = _low_level(facts, t, "EXPECTATIONS_MET", t.unmet_expectations)
    low = held is not None
    if not low and not facts.overdue_goals:
        return []
    parts, partner_parts, parts_de, partner_parts_de = [], [], [], []
    severity, weight = Severity.LOW, 0.0
    evidence: dict[str, Any] = {}
    if held is not None:
        found, probability = held
        latest, mean = found.round, found.estimate
        parts.append(
            f"expectations met is likely at or below {_fmt(t.unmet_expectations)} ({_pct(probability)}): "
            f"{_fmt(found.observed)} in round {latest.sequence}, an estimated level of {_fmt(mean)}"
        )
        parts_de.append(
            f"die Erwartungserfüllung liegt wahrscheinlich auf oder unter {_fmt_de(t.unmet_expectations)} "
            f"({_pct(probability)}): {_fmt_de(found.observed)} in Runde {latest.sequence}, geschätzt {_fmt_de(mean)}"
        )
        small = suppressed(latest.response_count, t.min_group_size)
        partner_parts.append(
            parts[-1]
            if not small
            else f"expectations met is likely at or below the threshold in round {latest.sequence}"
        )
        partner_parts_de.append(
            parts_de[-1]
            if not small
            else f"die Erwartungserfüllung lag in Runde {latest.sequence} wahrscheinlich auf oder unter der Schwelle"
        )
        distance = max(0.0, t.unmet_expectations - mean)
        severity = _grade(distance, 0.5, 1.0)
        weight = distance
        evidence |= {
            "round": latest.sequence,
            "mean": round(found.observed, 2),
            "estimate": round(mean, 2),
            "probability": round(probability, 2),
            "responseCount": latest.response_count,
        }
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
    text = f"The project has been active for {facts.days_in_phase} days without an agreed exit plan."
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
    phase_en = PHASES_EN.get(facts.phase, facts.phase.replace("_", " ").lower())
    text = f"The project has been in the {phase_en} phase for {facts.days_in_phase} days without moving on."
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
    response_rate_drop,
    unmet_expectations,
    no_exit_plan,
    stalled,
    early_signal,
)
# findings that warn moderators and admins without putting the project at risk
ADVISORY = frozenset({"EARLY_SIGNAL"})


# the rules that read who answered what (RoundFacts.overall_by_organization), which partners never know
READS_INDIVIDUAL_ANSWERS = frozenset({"SATISFACTION_GAP"})


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


# -- health ------------------------------------------------------------------------------------------------

PENALTY = {Severity.LOW: 8, Severity.MEDIUM: 15, Severity.HIGH: 25}


@dataclass(frozen=True)
class Health:
    score: int
    risk_level: str  # NONE | LOW | MEDIUM | HIGH
    risk_rank: float


def health(facts: ProjectFacts, findings: list[Finding], thresholds: Thresholds | None = None) -> Health:
    """0 (failing) … 100 (healthy): the estimated level of overall satisfaction in the latest known round
    (`level`: closed, or open with its quorum) on a 0-100 scale (80 before any), minus a penalty per open
    finding by severity. The risk level is the worst finding; advisory findings (early signals) count for
    neither."""
    t = thresholds or Thresholds()
    found = level(_series(known_rounds(facts, t), "OVERALL"), t, facts.portfolio_means.get("OVERALL"))
    findings = [f for f in findings if f.reason not in ADVISORY]
    base = 80.0 if found is None else 25.0 * (found.estimate - 1.0)
    score = int(max(0, min(100, math.floor(base - sum(PENALTY[f.severity] for f in findings) + 0.5))))
    worst = max((f.severity for f in findings), default=None)
    rank = 0.0 if worst is None else worst * 1000 + min(999.0, sum(f.weight for f in findings) * 100 + (100 - score))
    return Health(score=score, risk_level=worst.name if worst else "NONE", risk_rank=rank)
