"""A project's health score, risk level and rank from its facts and the findings that hold."""

import math
from dataclasses import dataclass

from domain.risk_rules.estimates import level
from domain.risk_rules.facts import Finding, ProjectFacts, Thresholds, known_rounds, series
from domain.risk_rules.rules import ADVISORY
from domain.vocabulary import Dimension, RiskLevel, Severity

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
    found = level(series(known_rounds(facts, t), Dimension.OVERALL), t, facts.portfolio_means.get(Dimension.OVERALL))
    findings = [f for f in findings if f.reason not in ADVISORY]
    base = 80.0 if found is None else 25.0 * (found.estimate - 1.0)
    score = int(max(0, min(100, math.floor(base - sum(PENALTY[f.severity] for f in findings) + 0.5))))
    worst = max((f.severity for f in findings), default=None)
    rank = 0.0 if worst is None else worst * 1000 + min(999.0, sum(f.weight for f in findings) * 100 + (100 - score))
    return Health(score=score, risk_level=RiskLevel[worst.name] if worst else RiskLevel.NONE, risk_rank=rank)
