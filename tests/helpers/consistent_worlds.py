"""Pieces both consistent-worlds tests use: the rated fields, the view's fragments, comparing two views."""

from typing import Any

LIKERT = ("overall", "expectationsMet", "mutualBenefit", "decisionSpeed", "communicationTrust")
DIMENSIONS = ("OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST")

MEANS = " ".join(f"{d.lower()}: mean(dimension: {d})" for d in DIMENSIONS)
TRENDS = " ".join(
    f"t_{d.lower()}: satisfactionTrend(dimension: {d}, last: 100) {{ sequence mean responseCount suppressed }}"
    for d in DIMENSIONS
)
AT_RISK = "totalCount edges { cursor node { id } }"


def same_nps_category(value: int) -> int:
    """Another value of the same NPS category (detractor 0-6, passive 7-8, promoter 9-10)."""
    if value <= 6:
        return 5 if value == 6 else value + 1
    return 15 - value if value <= 8 else 19 - value


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two views differ first, for the failure message."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} != {right!r}"


def without_times(value: Any) -> Any:
    """Timestamps say when the test ran, not what anyone answered: kept only as set or not."""
    if isinstance(value, dict):
        return {k: (v is not None if k.endswith("At") else without_times(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value
