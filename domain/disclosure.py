"""Disclosure control: which numbers derived from answers a plain partner may see.

Every number a plain partner (or a member reading the portfolio) sees that rests on answers is either a
*released* value or computed from released values only. The rules, in one place:

1. A value is released only when at least `min_group_size` (k) distinct organizations stand behind it,
   and only once its period has closed: a round's numbers when the round has closed, the portfolio's month
   when the month is over. A value that changed with every answer would give each new answer away by
   difference. Each organization answers a round once, so a round's response count is its organization
   count; the portfolio counts organizations, not answers.
2. Complementary suppression. When a cell of a partition is suppressed, the others are released only if no
   suppressed value follows from the totals and the released cells: per kind of organization in a round,
   suppressed cells together must hold at least k organizations (else the next smallest cell is suppressed
   too); in the portfolio, where kinds and industries partition the same answers, no combination of released
   cells may single out a set of fewer than k organizations (`release_crossed`).
3. Derived values for plain partners (trends, health, risk flags and their severity, weight, evidence and
   wording, the order of the at-risk list) are computed by the same code from `release_facts(...)`: the
   project's facts with every unreleased number removed. What cannot be computed from released values is
   not shown to them; there is no coarsening to undo.
4. Who answered (participation) is not an answer: response counts and silent partners stay visible.

Moderators of a project and admins see its numbers in full; `sees_everything` decides that. The designed
disclosures that remain (for example: in a released round of exactly k answers a partner learns the sum of
the other k-1 answers, and a unanimous group reveals its answer) are documented in SECURITY.md.
"""

import dataclasses
import itertools
from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

Key = TypeVar("Key", bound=Hashable)


def released(organization_count: int, min_group_size: int) -> bool:
    """Rule 1: enough distinct organizations stand behind a value."""
    return organization_count >= min_group_size


def released_round(response_count: int, closed: bool, min_group_size: int) -> bool:
    """Rule 1 for a survey round: closed, and answered by at least the group size."""
    return closed and released(response_count, min_group_size)


def sees_everything(role: str | None, *, is_admin: bool) -> bool:
    """Admins and a project's moderators see its numbers in full; everyone else sees released values."""
    return is_admin or role == "MODERATOR"


def round_withheld(response_count: int, closed: bool, min_group_size: int, *, sees_all: bool) -> bool:
    """Whether a round's aggregates (means, NPS, trend points) are hidden from a viewer: from everyone who
    does not see everything (`sees_everything`) until the round is released (rule 1)."""
    return not sees_all and not released_round(response_count, closed, min_group_size)


def trend_point(mean: float | None, response_count: int, *, withheld: bool) -> tuple[float | None, bool]:
    """A round's point of a satisfaction trend as the viewer sees it: (mean, suppressed). A withheld round's
    mean is null; the point says it is suppressed only when there was a mean to hide (answers)."""
    return (None if withheld else mean), withheld and response_count > 0


def release_partition(cells: Mapping[Key, int], min_group_size: int) -> set[Key]:
    """Rule 2 for one partition of a released total (cell -> organizations in it): the cells that may be shown.

    Cells below the group size are suppressed; then, while the suppressed cells together hold fewer than
    `min_group_size` organizations (their sum would follow from the total and the shown cells), the smallest
    shown cell is suppressed too."""
    shown = {key for key, count in cells.items() if released(count, min_group_size)}
    hidden_total = sum(count for key, count in cells.items() if key not in shown)
    while shown and 0 < hidden_total < min_group_size:
        smallest = min(shown, key=lambda key: (cells[key], str(key)))
        shown.discard(smallest)
        hidden_total += cells[smallest]
    return shown


def _rank(rows: list[list[int]]) -> int:
    """Rank of a small 0/1 matrix, exact: Gaussian elimination modulo a prime far above any of its minors."""
    prime = (1 << 61) - 1
    matrix = [list(row) for row in rows if any(row)]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for column in range(width):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][column] % prime), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        inverse = pow(matrix[rank][column], prime - 2, prime)
        for i in range(len(matrix)):
            if i != rank and matrix[i][column] % prime:
                factor = matrix[i][column] * inverse % prime
                matrix[i] = [(a - factor * b) % prime for a, b in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return rank


def release_crossed(
    atoms: Mapping[Key, int],
    groupings: Mapping[str, Mapping[Any, Iterable[Key]]],
    min_group_size: int,
    withheld: Collection[tuple[str, Any]] = (),
) -> set[tuple[str, Any]]:
    """Rule 2 for several groupings of the same answers (the portfolio: by kind and by industry).

    `atoms`: the finest cells (kind, industry) with the organizations in each; `groupings`: grouping name ->
    cell key -> the atoms that cell sums. Returns the (grouping, key) cells that may be shown: each holds at
    least `min_group_size` organizations, and no linear combination of shown cells equals the sum over a set
    of atoms holding fewer than `min_group_size` organizations (tested by rank: such a set S is exposed when
    deleting S's columns lowers the rank of the shown cells' matrix). `withheld` cells are never shown, and
    shown cells are suppressed complementarily around them too: no withheld cell may be a linear combination
    of shown cells (its row would not raise their rank), as withholding the SME cell is void while the
    industries it splits into are shown."""
    order = sorted(atoms, key=str)
    column = {atom: i for i, atom in enumerate(order)}
    vectors: dict[tuple[str, Any], list[int]] = {}
    weight: dict[tuple[str, Any], int] = {}
    for grouping, cells in groupings.items():
        for key, members in cells.items():
            vector = [0] * len(order)
            for atom in members:
                vector[column[atom]] = 1
            vectors[(grouping, key)] = vector
            weight[(grouping, key)] = sum(atoms[atom] for atom in members)
    shown = {cell for cell, count in weight.items() if released(count, min_group_size) and cell not in withheld}
    small = [atom for atom in order if atoms[atom] < min_group_size]
    candidates = [
        subset
        for size in range(1, min_group_size)
        for subset in itertools.combinations(small, size)
        if sum(atoms[atom] for atom in subset) < min_group_size
    ]
    while shown:
        matrix = [vectors[cell] for cell in sorted(shown, key=str)]
        full = _rank(matrix)
        exposed = next(
            (
                subset
                for subset in candidates
                if _rank([[v for i, v in enumerate(row) if order[i] not in subset] for row in matrix]) < full
            ),
            None,
        )
        if exposed is None:
            derivable = next(
                (cell for cell in sorted(withheld, key=str) if _rank([*matrix, vectors[cell]]) == full), None
            )
            if derivable is None:
                break
            exposed = tuple(atom for atom in order if vectors[derivable][column[atom]])
        touching = [cell for cell in shown if any(vectors[cell][column[atom]] for atom in exposed)]
        shown.discard(min(touching, key=lambda cell: (weight[cell], str(cell))))
    return shown


def derivable_atoms(
    atoms: Mapping[Key, int], groupings: Mapping[str, Mapping[Any, Iterable[Key]]], shown: Iterable[tuple[str, Any]]
) -> set[Key]:
    """The atoms whose sum follows from the shown cells (their unit row does not raise the shown cells' rank):
    Energy minus the startups, all of them in Energy, is the SMEs in Energy."""
    order = sorted(atoms, key=str)
    members = {(grouping, key): set(cells) for grouping, by_key in groupings.items() for key, cells in by_key.items()}
    matrix = [[1 if atom in members[cell] else 0 for atom in order] for cell in sorted(shown, key=str)]
    full = _rank(matrix)
    return {atom for atom in order if _rank([*matrix, [1 if a == atom else 0 for a in order]]) == full}


class _Facts(Protocol):
    """A dataclass (frozen or not) with rounds: what `dataclasses.replace` needs."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def rounds(self) -> list[Any]: ...


Facts = TypeVar("Facts", bound=_Facts)


def release_round(round_facts: Any, min_group_size: int) -> Any:
    """A round as a plain partner may know it: means only when released, never who answered what."""
    keep = released_round(round_facts.response_count, round_facts.closed, min_group_size)
    return dataclasses.replace(
        round_facts,
        means={dimension: mean if keep else None for dimension, mean in round_facts.means.items()},
        overall_by_organization={},
        answered=round_facts.answered_by(),
    )


def release_facts(facts: Facts, min_group_size: int) -> Facts:
    """Rule 3: the project's facts with every unreleased number removed; the rules and the health score run on
    this to give what plain partners see."""
    return dataclasses.replace(facts, rounds=[release_round(r, min_group_size) for r in facts.rounds])


def exposed_by_rounds(
    cells: Mapping[Key, frozenset[int]],
    rounds: Iterable[list[frozenset[int]]],
    organization_of: Mapping[int, int],
    min_group_size: int,
) -> set[Key]:
    """Rule 2 across the portfolio and the rounds: the cells (sets of answer ids) that a partner could single
    out a small group from by subtracting what its rounds release.

    `rounds`: per round, the answer sets whose sums it releases to its partners, every union of its released
    parts (workers.portfolio.subtractable_sets). A cell is exposed when the cell minus some choice of at most
    one such set per round that overlaps it leaves answers of fewer than `min_group_size` organizations (and
    more than none), whatever the cell's size. Exact, round by round over the overlapping rounds: answers of
    different rounds are disjoint, so what a choice leaves only grows, and a partial choice is dropped as soon
    as it leaves the group size or more; the partial choices kept are few (their leftovers are small sets)."""
    released_sets = [list(sets) for sets in rounds]
    answers_of_round = [frozenset().union(*sets) for sets in released_sets]
    by_answer: dict[int, list[int]] = {}
    for index, answers in enumerate(answers_of_round):
        for answer in answers:
            by_answer.setdefault(answer, []).append(index)

    def organizations(answers: Iterable[int]) -> frozenset[int]:
        return frozenset(organization_of[a] for a in answers)

    exposed = set()
    for key, cell in cells.items():
        # answers of the cell no released round covers are left over whatever is chosen
        left_alone = organizations(a for a in cell if a not in by_answer)
        if len(left_alone) >= min_group_size:
            continue  # no choice leaves fewer
        overlapping = sorted({index for answer in cell for index in by_answer.get(answer, [])})
        # what the choices so far can leave: (organizations left, whether a set was chosen), below the group size
        states = {(left_alone, False)}
        for index in overlapping:
            part = cell & answers_of_round[index]
            choices = {organizations(part): False}  # this round's: organizations left -> a set was chosen
            for released_set in released_sets[index]:
                if released_set & cell:
                    choices[organizations((part - released_set) | (released_set - cell))] = True
            states = {
                (left | more, chosen or picked)
                for left, chosen in states
                for more, picked in choices.items()
                if len(left | more) < min_group_size
            }
            if not states:
                break  # every choice leaves the group size or more: what follows only adds
        if any(chosen and left for left, chosen in states):
            exposed.add(key)
    return exposed
