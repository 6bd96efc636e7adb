"""Facts for the pure rule tests: rounds and projects as the workers build them."""

from datetime import date

from domain.risk_rules import (
    ProjectFacts,
    RoundFacts,
)

TODAY = date(2026, 11, 26)


NAMES = {1: "Brandt Maschinenbau GmbH", 2: "Quantivo GmbH", 3: "Nordwerke AG"}


def rnd(
    sequence: int,
    scores: dict[int, int] | None = None,
    *,
    expectations: float | None = None,
    closed: bool = True,
    expected: set[int] | None = None,
) -> RoundFacts:
    scores = scores or {}
    mean = sum(scores.values()) / len(scores) if scores else None
    means = dict.fromkeys(
        ("OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"), mean
    )
    if expectations is not None:
        means["EXPECTATIONS_MET"] = expectations
    return RoundFacts(
        sequence=sequence,
        closed=closed,
        means=means,
        response_count=len(scores),
        expected=frozenset(expected if expected is not None else NAMES),
        overall_by_organization=scores,
    )


def facts(rounds: list[RoundFacts], **change) -> ProjectFacts:
    values = {
        "phase": "ACTIVE",
        "days_in_phase": 30,
        "has_exit_plan": True,
        "rounds": rounds,
        "partner_names": NAMES,
        "today": TODAY,
    }
    return ProjectFacts(**{**values, **change})
