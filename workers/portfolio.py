"""Publishing the members' portfolio: each month once, when it has closed, under disclosure control."""

from collections import defaultdict
from datetime import date

import asyncpg

from db import statistics
from domain.disclosure import exposed_by_rounds, release_crossed, release_partition, released, released_round

Cell = tuple[str, str]  # (grouping, key)


def released_cells(
    atoms: list[tuple[str, str, int]], min_group_size: int, withheld: frozenset[Cell] = frozenset()
) -> set[Cell]:
    """(kind, industry, organizations) of one month -> the (grouping, key) cells members may see; `withheld`
    cells are suppressed from the start (the others are then suppressed complementarily around them)."""
    counts = {(kind, industry): organizations for kind, industry, organizations in atoms}
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_industry: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for kind, industry in counts:
        if ("ORGANIZATION_KIND", kind) not in withheld:
            by_kind[kind].append((kind, industry))
        if ("INDUSTRY", industry) not in withheld:
            by_industry[industry].append((kind, industry))
    groupings = {"ORGANIZATION_KIND": dict(by_kind), "INDUSTRY": dict(by_industry)}
    # a withheld cell stays part of the totals: its atoms are still summed by the cells of the other grouping
    return release_crossed(counts, groupings, min_group_size) - withheld


def linked_exposures(answers: list[dict], period: date, shown: set[Cell], min_group_size: int) -> set[Cell]:
    """The shown cells that a round's released sums would give a small group away from (exposed_by_rounds).
    `answers`: rows of answers_linked_to_cells (id, round_id, organization_id, kind, industry, period, closed)."""
    by_round: dict[int, list[dict]] = defaultdict(list)
    for answer in answers:
        by_round[answer["round_id"]].append(answer)
    released_sets = []
    for rows in by_round.values():
        everything = frozenset(r["id"] for r in rows)
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            counts[row["kind"]] += 1
        if rows[0]["closed"]:
            if not released_round(len(rows), True, min_group_size):
                continue
            kinds = release_partition(counts, min_group_size)
            rests = [frozenset(r["id"] for r in rows if r["kind"] not in kinds)] if kinds else []
        else:
            # Still open: it may close later and be released then, against a month published once and for
            # all. Whatever it could release without answers from later months (which lie outside this
            # month's cells) counts: the round, any kind and the kinds other than any one, each holding at
            # least the group size (one answer per organization) already.
            kinds = set(counts)
            rests = [frozenset(r["id"] for r in rows if r["kind"] != kind) for kind in kinds]
        sets = [everything, *(frozenset(r["id"] for r in rows if r["kind"] == kind) for kind in kinds)]
        sets += [rest for rest in rests if rest and rest != everything]
        if not rows[0]["closed"]:
            sets = [s for s in sets if released(len(s), min_group_size)]
        if sets:
            released_sets.append(sets)
    cells = {
        cell: frozenset(
            a["id"]
            for a in answers
            if a["period"] == period and a["kind" if cell[0] == "ORGANIZATION_KIND" else "industry"] == cell[1]
        )
        for cell in shown
    }
    organization_of = {a["id"]: a["organization_id"] for a in answers}
    return exposed_by_rounds(cells, released_sets, organization_of, min_group_size)


async def cells_to_publish(
    connection: asyncpg.Connection, period: date, atoms: list[tuple[str, str, int]], min_group_size: int
) -> set[Cell]:
    """The month's cells under both checks: the groupings together, then the rounds' released sums, again
    until nothing more is withheld."""
    withheld: frozenset[Cell] = frozenset()
    while True:
        shown = released_cells(atoms, min_group_size, withheld)
        # every cell, however large: many rounds' released sums together can cancel all but a few answers of it
        checked = shown
        if not checked:
            return shown
        rows = await statistics.answers_linked_to_cells(
            connection, period, [cell[0] for cell in checked], [cell[1] for cell in checked]
        )
        exposed = linked_exposures([dict(row) for row in rows], period, checked, min_group_size)
        if not exposed:
            return shown
        withheld |= exposed


async def publish_closed_months(connection: asyncpg.Connection, min_group_size: int) -> list[date]:
    """Publish every closed month members have not seen yet; return those months. Run after a refresh."""
    async with connection.transaction():
        periods = await statistics.unpublished_closed_periods(connection)
        if not periods:
            return []
        atoms: dict[date, list[tuple[str, str, int]]] = defaultdict(list)
        for row in await statistics.portfolio_atoms(connection, periods):
            atoms[row["period"]].append((row["kind"], row["industry"], row["organizations"]))
        shown = []
        for period in periods:
            cells = await cells_to_publish(connection, period, atoms[period], min_group_size)
            shown += [(period, grouping, key) for grouping, key in cells]
        await statistics.publish_portfolio(connection, periods, shown)
    return periods
