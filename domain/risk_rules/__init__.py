"""The risk rules: pure functions on a few numbers per project. No I/O.

The SQL in db/recompute.py and db/bulk.py aggregates the answers; the workers build each project's facts
(`facts`) and run the rules (`rules`): levels, change points and gaps with how sure they are (`estimates`),
findings with their evidence and the phrases of their explanations (rendered per language by
domain.explanations), and the health score (`health`). docs/design.md, "Risk rules", says why.
"""

from domain.risk_rules.facts import Finding, Goal, ProjectFacts, RoundFacts, Thresholds
from domain.risk_rules.health import Health, health
from domain.risk_rules.rules import ADVISORY, READS_INDIVIDUAL_ANSWERS, RULES, escalated, evaluate, holding

__all__ = [
    "ADVISORY",
    "READS_INDIVIDUAL_ANSWERS",
    "RULES",
    "Finding",
    "Goal",
    "Health",
    "ProjectFacts",
    "RoundFacts",
    "Thresholds",
    "escalated",
    "evaluate",
    "health",
    "holding",
]
