"""Trend maths of a project's round means: slope and smoothed level, for the workers' stored trends and for
the trends the API computes for plain partners from released means."""

from statistics import median

# how many of the latest rounds with answers a trend looks back on
TREND_WINDOW = 12


def least_squares_slope(values: list[float]) -> float | None:
    """Slope per step of the least-squares line through (0, v0), (1, v1), …; None for fewer than 2 values."""
    n = len(values)
    if n < 2:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    denominator = sum((x - mean_x) ** 2 for x in range(n))
    return numerator / denominator


def theil_sen_slope(values: list[float]) -> float | None:
    """Median of the slopes of all pairs: one odd round does not move it."""
    if len(values) < 2:
        return None
    n = len(values)
    return median([(values[j] - value) / (j - i) for i, value in enumerate(values) for j in range(i + 1, n)])


def trend_slope(values: list[float]) -> float | None:
    """Slope per round: None below 3 rounds, least squares for 3-4, Theil-Sen from 5 on."""
    if len(values) < 3:
        return None
    return least_squares_slope(values) if len(values) < 5 else theil_sen_slope(values)


def smoothed(values: list[float], alpha: float = 0.5) -> float | None:
    """Exponentially weighted mean, the latest round weighing most; None without values."""
    if not values:
        return None
    level = values[0]
    for value in values[1:]:
        level = alpha * value + (1 - alpha) * level
    return level
