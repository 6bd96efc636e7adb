"""The portfolio against the rounds' released sums, for cells of any size (domain.disclosure.exposed_by_rounds):
the exact search against trying every choice. The attacks through the API and the workers are in
tests/system/test_portfolio_exposure_attacks.py.

A large cell is no safer than a small one: a partner in many projects can subtract each of their released
round sums from a month's cell and keep what is left. The check used to skip cells of twelve organizations
or more (and to give up on exactness beyond 4,096 choices); it is now exact for every cell.
"""

import itertools
import random

from domain.disclosure import exposed_by_rounds


def by_brute_force(
    cell: frozenset[int], rounds: list[list[frozenset[int]]], organization_of: dict[int, int], k: int
) -> bool:
    """Every choice of at most one released set per round that overlaps the cell, tried one by one."""
    for picked in itertools.product(*[[frozenset(), *(s for s in sets if s & cell)] for sets in rounds]):
        chosen = frozenset().union(*picked)
        if chosen and 0 < len({organization_of[a] for a in cell ^ chosen}) < k:
            return True
    return False


def test_the_exact_search_agrees_with_trying_every_choice() -> None:
    rng = random.Random(11)
    exposed_cells = 0
    for _ in range(400):
        organizations = rng.randint(3, 9)
        answers, organization_of, rounds = 0, {}, []
        for _ in range(rng.randint(1, 5)):
            members = rng.sample(range(organizations), rng.randint(1, organizations))
            ids = list(range(answers, answers + len(members)))
            organization_of.update(zip(ids, members, strict=True))
            answers += len(members)
            sets = [frozenset(ids)] + [frozenset(rng.sample(ids, rng.randint(1, len(ids)))) for _ in range(2)]
            rounds.append(sets[: rng.randint(1, 3)])
        cell = frozenset(a for a in range(answers) if rng.random() < 0.6)
        expected = by_brute_force(cell, rounds, organization_of, 3)
        assert (exposed_by_rounds({"cell": cell}, rounds, organization_of, 3) == {"cell"}) == expected
        exposed_cells += expected
    assert 40 < exposed_cells < 360  # both outcomes are well represented
