"""Publishing the members' portfolio: each month once, when it has closed, under disclosure control."""

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg

from db import portfolio
from domain.disclosure import (
    derivable_atoms,
    exposed_by_rounds,
    release_crossed,
    release_partition,
    released_round,
)

Cell = tuple[str, Any]  # (grouping, key)
Atom = tuple[str, str]  # (kind, industry)


def month_groupings(atoms: list[tuple[str, str, int]], withheld_atoms: Iterable[Atom] = ()) -> dict:
    """Grouping -> cell key -> the (kind, industry) atoms it sums; the atoms the round check gave away are a
    grouping of their own ("ATOM"), so that they can be withheld like cells."""
    by_kind: dict[str, list[Atom]] = defaultdict(list)
    by_industry: dict[str, list[Atom]] = defaultdict(list)
    for kind, industry, _ in atoms:
        by_kind[kind].append((kind, industry))
        by_industry[industry].append((kind, industry))
    groupings: dict[str, dict[Any, list[Atom]]] = {"ORGANIZATION_KIND": dict(by_kind), "INDUSTRY": dict(by_industry)}
    groupings["ATOM"] = {atom: [atom] for atom in withheld_atoms}
    return groupings


def released_cells(
    atoms: list[tuple[str, str, int]],
    min_group_size: int,
    withheld: frozenset[Cell] = frozenset(),
    withheld_atoms: frozenset[Atom] = frozenset(),
) -> set[Cell]:
    """(kind, industry, organizations) of one month -> the (grouping, key) cells members may see; `withheld`
    cells and `withheld_atoms` are never shown, and the others are suppressed complementarily around them."""
    counts = {(kind, industry): organizations for kind, industry, organizations in atoms}
    hidden = withheld | {("ATOM", atom) for atom in withheld_atoms}
    return release_crossed(counts, month_groupings(atoms, withheld_atoms), min_group_size, hidden) - hidden


def releases_any_sum(rows: Sequence[Mapping[str, Any]], min_group_size: int) -> bool:
    """Whether a round (its answers' rows) releases any sum, now or when it closes: exactly when
    `subtractable_sets` gives any set, and then their union is all its answers."""
    if rows[0]["closed"]:
        return released_round(len(rows), True, min_group_size)
    return len(rows) >= min_group_size - 1


def subtractable_sets(rows: Sequence[Mapping[str, Any]], min_group_size: int) -> list[frozenset[int]]:
    """Every answer set of one round whose sum a partner has or will have: any union of the disjoint parts the
    round releases, as several of them can be subtracted together (with three shown kinds, Energy minus the
    SMEs and the startups of one round).

    A closed round releases its shown kinds and the suppressed ones together, or only its total. A round
    still open may be released when it closes, after the month has been published once and for all; which
    kinds it will show is not known yet, so any union of its kinds counts. It counts from `min_group_size` - 1
    answers on: a partner can complete it with its own answer alone. With fewer, releasing it takes answers of
    at least one more organization, which stay unknown in the difference (SECURITY.md, residual risks).

    The parts group by `answer_kind`, the kind each answer recorded at submission, as the round's per-kind
    means do: an organization regrouped since then is still in the part it was released in."""
    if not releases_any_sum(rows, min_group_size):
        return []
    by_kind: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        by_kind[row["answer_kind"]].add(row["id"])
    if rows[0]["closed"]:
        kinds = release_partition({kind: len(ids) for kind, ids in by_kind.items()}, min_group_size)
        # the total when no kind is shown
        rest = frozenset(row["id"] for row in rows if row["answer_kind"] not in kinds)
        parts = [frozenset(by_kind[kind]) for kind in sorted(kinds)] + ([rest] if rest else [])
    else:  # open, with at least min_group_size - 1 answers (one per organization)
        parts = [frozenset(ids) for _, ids in sorted(by_kind.items())]
    return [
        frozenset().union(*chosen)
        for size in range(1, len(parts) + 1)
        for chosen in itertools.combinations(parts, size)
    ]


class MonthAnswers:
    """The rows of answers_linked_to_month (id, round_id, organization_id, kind, answer_kind, industry, period,
    closed) of one month, indexed for the publication's checks, with what those checks found so far: a
    cell's exposure depends only on its answers and the rounds they are in, so it holds for every pass."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], period: date, min_group_size: int) -> None:
        self.min_group_size = min_group_size
        self.by_round: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            self.by_round[row["round_id"]].append(row)
        # answers of rounds that release no sum: no subtraction removes them from a cell
        self.never_subtracted = {
            row["id"]
            for round_rows in self.by_round.values()
            if not releases_any_sum(round_rows, min_group_size)
            for row in round_rows
        }
        self.in_cell: dict[Cell, set[int]] = defaultdict(set)  # the month's answers of each cell
        self.rounds_of_cell: dict[Cell, set[int]] = defaultdict(set)  # the rounds with such an answer
        for row in rows:
            if row["period"] == period:
                for cell in (("ORGANIZATION_KIND", row["kind"]), ("INDUSTRY", row["industry"]),
                             ("ATOM", (row["kind"], row["industry"]))):  # fmt: skip
                    self.in_cell[cell].add(row["id"])
                    self.rounds_of_cell[cell].add(row["round_id"])
        self.organization_of = {row["id"]: row["organization_id"] for row in rows}
        self._released: dict[int, list[frozenset[int]]] = {}
        self.exposed: dict[Cell, bool] = {}

    def released_sets(self, round_id: int) -> list[frozenset[int]]:
        if round_id not in self._released:
            self._released[round_id] = subtractable_sets(self.by_round[round_id], self.min_group_size)
        return self._released[round_id]


def linked_exposures(month: MonthAnswers, shown: set[Cell]) -> set[Cell]:
    """The shown cells (or ("ATOM", (kind, industry)) sums derived from them) that a round's released sums
    would give a small group away from (exposed_by_rounds), over the rounds with an answer of the month in
    the cells (no other round overlaps them). Cells checked in an earlier pass keep their answer."""
    for cell in sorted(shown - month.exposed.keys(), key=str):
        answers = frozenset(month.in_cell.get(cell, ()))
        left_alone = {month.organization_of[answer] for answer in answers & month.never_subtracted}
        if len(left_alone) >= month.min_group_size:
            # exposed_by_rounds would stop here as well: whatever is subtracted leaves these organizations;
            # this spares building every round's sets for the large cells
            month.exposed[cell] = False
            continue
        rounds = sorted(month.rounds_of_cell.get(cell, ()))
        released_sets = [sets for r in rounds if (sets := month.released_sets(r))]
        found = exposed_by_rounds({cell: answers}, released_sets, month.organization_of, month.min_group_size)
        month.exposed[cell] = cell in found
    return {cell for cell in shown if month.exposed[cell]}


async def cells_to_publish(
    connection: asyncpg.Connection, period: date, atoms: list[tuple[str, str, int]], min_group_size: int
) -> set[Cell]:
    """The month's cells under both checks: the groupings together, then the rounds' released sums, again
    until nothing more is withheld."""
    withheld: frozenset[Cell] = frozenset()
    withheld_atoms: frozenset[Atom] = frozenset()
    counts = {(kind, industry): count for kind, industry, count in atoms}
    month: MonthAnswers | None = None
    while True:
        shown = released_cells(atoms, min_group_size, withheld, withheld_atoms)
        # what the shown cells add up to counts as well: Energy minus the startups is the SMEs in Energy
        derived = derivable_atoms(counts, month_groupings(atoms), shown)
        # every cell, however large: many rounds' released sums together can cancel all but a few answers of it
        checked = shown | {("ATOM", atom) for atom in derived}
        if not checked:
            return shown
        if month is None:
            rows = await portfolio.answers_linked_to_month(connection, period)
            month = MonthAnswers(rows, period, min_group_size)
        exposed = linked_exposures(month, checked)
        if not exposed:
            return shown
        withheld |= {cell for cell in exposed if cell[0] != "ATOM"}
        withheld_atoms |= {cell[1] for cell in exposed if cell[0] == "ATOM"}


async def publish_closed_months(connection: asyncpg.Connection, min_group_size: int) -> list[date]:
    """Publish every closed month members have not seen yet; return those months. Run after a refresh."""
    async with connection.transaction():
        periods = await portfolio.unpublished_closed_periods(connection)
        if not periods:
            return []
        atoms: dict[date, list[tuple[str, str, int]]] = defaultdict(list)
        for row in await portfolio.portfolio_atoms(connection, periods):
            atoms[row["period"]].append((row["kind"], row["industry"], row["organizations"]))
        shown = []
        for period in periods:
            cells = await cells_to_publish(connection, period, atoms[period], min_group_size)
            shown += [(period, grouping, key) for grouping, key in cells]
        await portfolio.publish_portfolio(connection, periods, shown)
    return periods
