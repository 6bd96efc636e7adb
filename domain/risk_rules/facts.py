"""What the risk rules read and what they find: thresholds, a project's facts per round, findings."""

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.explanations import Phrase, render
from domain.vocabulary import Dimension, RiskReason, Severity


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
    """A rule that holds: what, about whom, how bad, and why in words and numbers.

    `evidence` is what the API shows (rounded); `wording` is what the explanation says, as phrases of the
    explanation catalogues over the exact numbers, rendered per language by `explanation`. Plain partners get
    findings of their own, computed from released values only (domain.disclosure.release_facts), so one
    wording serves every reader of a finding."""

    reason: RiskReason
    severity: Severity
    evidence: dict[str, Any]
    wording: tuple[Phrase, ...] = ()
    organization_id: int | None = None
    # how far past its threshold, 0..1+, to order projects of equal severity
    weight: float = 0.0

    def explanation(self, language: str = "en") -> str:
        return render(self.wording, language)


def suppressed(response_count: int, min_group_size: int) -> bool:
    """Whether an aggregate over `response_count` answers must be hidden from plain partners."""
    return response_count < min_group_size


def known_rounds(facts: ProjectFacts, t: Thresholds) -> list[RoundFacts]:
    """The rounds the rules judge: closed rounds with answers, and an open round once it has its quorum
    (a share of the expected answers). A round's first answers alone would swing every mean."""
    return [r for r in facts.rounds if r.response_count > 0 and (r.closed or quorate(r, t))]


def quorate(round_: RoundFacts, t: Thresholds) -> bool:
    return bool(round_.expected) and round_.response_count >= max(
        2, math.ceil(t.open_round_quorum * len(round_.expected))
    )


def series(rounds: list[RoundFacts], dimension: Dimension) -> list[tuple[RoundFacts, float]]:
    """The rounds with a mean of `dimension`, with that mean."""
    return [(r, float(m)) for r in rounds if (m := r.means[dimension]) is not None]


def pooled(points: list[tuple[RoundFacts, float]]) -> tuple[float, int]:
    """Mean over the answers of several rounds (each round weighs by its answers) and their number."""
    count = sum(r.response_count for r, _ in points)
    return sum(m * r.response_count for r, m in points) / count, count
