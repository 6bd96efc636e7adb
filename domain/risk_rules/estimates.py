"""How sure the rules are: levels shrunk toward what came before, change points, partners' gaps, hysteresis."""

import math
from collections.abc import Callable
from dataclasses import dataclass

from domain.risk_rules.facts import RoundFacts, Thresholds, pooled

HYSTERESIS_ROUNDS = 4
# a partner's (and a project's) answer rate before its own history counts, and how much that prior weighs
USUAL_ANSWER_RATE = 0.85
RATE_PRIOR_ROUNDS = 4
RATE_PRIOR_ANSWERS = 10


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def binomial_at_most(successes: int, trials: int, rate: float) -> float:
    return sum(math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k) for k in range(successes + 1))


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
        prior_mean, count = pooled(history)
        prior_variance = t.answer_noise**2 / count + t.level_drift**2
    elif prior is not None:
        prior_mean, prior_variance = prior, t.portfolio_spread**2
    else:
        return Level(observed, math.sqrt(variance), observed, latest, shrunk=False)
    weight = prior_variance / (prior_variance + variance)
    estimate = weight * observed + (1 - weight) * prior_mean
    return Level(estimate, math.sqrt(weight * variance), observed, latest)


def probability_at_or_below(found: Level, threshold: float) -> float:
    return normal_cdf((threshold - found.estimate) / found.sd) if found.sd > 0 else float(found.estimate <= threshold)


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
        probability = normal_cdf((drop - t.decline_margin) / sd)
        if best is None or probability > best[0]:
            best = (probability, drop, before_mean, after_mean, start, first)
    assert best is not None
    probability, drop, before_mean, after_mean, start, first = best
    return Decline(probability, drop, before_mean, after_mean, points[start][0].sequence, points[first:])


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
        probability = normal_cdf((gap - t.satisfaction_gap) / sd)
        if probability < t.resolve_probability:
            continue
        sequences = [r.sequence for r in window if organization in r.overall_by_organization]
        found[organization] = Gap(organization, probability, gap, own_mean, others_mean, sequences)
    return found


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
    return latched([*(probability_of(prefix) for prefix in prefixes(rounds)[:-1]), last], t)


def prefixes(rounds: list[RoundFacts]) -> list[list[RoundFacts]]:
    """The known rounds as they stood over the last HYSTERESIS_ROUNDS rounds, oldest first."""
    return [rounds[:end] for end in range(max(1, len(rounds) - HYSTERESIS_ROUNDS + 1), len(rounds) + 1)]
