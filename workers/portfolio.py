"""Publishing the members' portfolio: each month once, when it has closed, under disclosure control."""

from collections import defaultdict
from datetime import date

import asyncpg

from db import statistics
from domain.disclosure import release_crossed


def released_cells(atoms: list[tuple[str, str, int]], min_group_size: int) -> set[tuple[str, str]]:
    """(kind, industry, organizations) of one month -> the (grouping, key) cells members may see."""
    counts = {(kind, industry): organizations for kind, industry, organizations in atoms}
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_industry: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for kind, industry in counts:
        by_kind[kind].append((kind, industry))
        by_industry[industry].append((kind, industry))
    return release_crossed(counts, {"ORGANIZATION_KIND": by_kind, "INDUSTRY": by_industry}, min_group_size)


async def publish_closed_months(connection: asyncpg.Connection, min_group_size: int) -> list[date]:
    """Publish every closed month members have not seen yet; return those months. Run after a refresh."""
    async with connection.transaction():
        periods = await statistics.unpublished_closed_periods(connection)
        if not periods:
            return []
        atoms: dict[date, list[tuple[str, str, int]]] = defaultdict(list)
        for row in await statistics.portfolio_atoms(connection, periods):
            atoms[row["period"]].append((row["kind"], row["industry"], row["organizations"]))
        shown = [
            (period, grouping, key)
            for period in periods
            for grouping, key in released_cells(atoms[period], min_group_size)
        ]
        await statistics.publish_portfolio(connection, periods, shown)
    return periods
