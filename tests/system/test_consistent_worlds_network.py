"""Consistent worlds for a network: several projects sharing organizations, the portfolio over several months.

tests/system/test_consistent_worlds.py proves it per project. Here one partner's token reads everything it can see
of a whole random network — its projects (rounds, statistics, per-kind means, satisfaction trends, trends,
health, flags, the at-risk lists with cursors and counts) and the members' portfolio by kind and by industry
on every dimension — and the test

1. plays the network month by month through the real API and workers: 6-8 organizations of three kinds and
   two industries, 3-4 projects of 2-5 partners sharing them (the viewer in some), one round per project and
   month over three closed months, partners who skip rounds and join late, rounds that close only after
   their month was published, and a last round still open in the current month. At the end of each month
   its rounds are recomputed, the portfolio refreshed and the closed month published, as the workers do;
2. reads from the viewer's own view (never from disclosure control's internals) every sum it releases: a
   non-null round mean or per-kind mean (mean × responseCount over the answers of that round or kind) and a
   non-null portfolio mean (mean × responseCount over every answer of that month and cell, in all projects).
   The attacker is granted more than the API tells it: it knows exactly which answers each sum covers;
3. decides for every other organization's answer on every Likert dimension whether it is the same in all
   assignments of the others' answers (1-5) that give exactly these sums and the viewer's own answers. This
   is complete enumeration, done as an exact search: for each answer and each value 1-5, a backtracking
   search over the Likert domains (pruned by the bounds each sum still allows) finds a consistent world in
   which the answer takes that value, or proves there is none. A determined answer must be a designed
   disclosure (SECURITY.md): the others in one released sum all gave the same extreme answer;
4. builds worlds from the consistent assignments found that together differ from the real network in every
   undetermined answer (the 0-10 question changes within its NPS category) and plays them through the API
   again: the viewer's reads after every month must be equal, up to timestamps. So nothing besides the sums
   of step 2 — no health score, severity, trend, cursor, count or portfolio cell — depends on a hidden
   answer, and step 3 shows those sums determine nothing that is not designed.

Networks are generated from seeds 0, 1, … (CONSISTENT_NETWORKS=N, default 3). With the portfolio's rank check
across both groupings switched off (release_crossed), the enumeration finds determined answers and the test
fails; it also asserts that the rank check decides some month's cells, so that this stays so.
"""

import itertools
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from db.portfolio import refresh_portfolio
from db.seed import truncate_all
from db.tokens import create_token
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.consistent_worlds import (
    AT_RISK,
    DIMENSIONS,
    LIKERT,
    MEANS,
    TRENDS,
    first_difference,
    same_nps_category,
    without_times,
)
from workers.portfolio import publish_closed_months, released_cells
from workers.recompute import recompute, thresholds

KINDS = ("SME", "STARTUP", "CORPORATE")
INDUSTRIES = ("Logistics", "Software & IT")
MONTHS = 3  # closed months, then the current one
MINIMUM = 3

Answers = dict[str, int]
AnswerKey = tuple[int, int, int]  # (project, month, organization)


@dataclass
class RoundPlan:
    answers: list[tuple[int, Answers]]  # (organization, answer), in the order submitted
    closes: str  # "in month": before the month is published; "next month": after; "never": stays open


@dataclass
class Network:
    kinds: list[str]  # per organization; organization 0 is the viewer
    industries: list[str]
    partners: list[list[int]]  # per project, its partners (the first is the lead)
    joins: list[dict[int, int]]  # per project: organization -> the month it joins before
    rounds: list[dict[int, RoundPlan]]  # per project: month (MONTHS = the current one) -> its round
    has_exit_plan: list[bool]

    def answers(self) -> dict[AnswerKey, Answers]:
        return {
            (project, month, organization): values
            for project, by_month in enumerate(self.rounds)
            for month, plan in by_month.items()
            for organization, values in plan.answers
        }


def random_answer(rng: random.Random) -> Answers:
    return {**{name: rng.randint(1, 5) for name in LIKERT}, "continueLikelihood": rng.randint(0, 10)}


def random_network(rng: random.Random) -> Network:
    organizations = rng.randint(6, 8)
    # mostly SMEs, as in the network; the viewer often of a rarer kind, so that it sits in the small cells
    kinds = [rng.choice(KINDS[1:] if index == 0 else KINDS[:1] * 3 + KINDS[1:]) for index in range(organizations)]
    industries = [rng.choice(INDUSTRIES) for _ in range(organizations)]
    partners, joins, rounds = [], [], []
    for project in range(rng.randint(3, 4)):
        size = rng.randint(2, min(5, organizations))
        members = rng.sample(range(organizations), size)
        if project == 0 and 0 not in members:
            members[rng.randrange(size)] = 0  # the viewer is a partner of at least one project
        late = {m: rng.randint(1, MONTHS - 1) for m in members[2:] if rng.random() < 0.3}
        by_month = {}
        for month in range(MONTHS + 1):
            if month == MONTHS and rng.random() < 0.5:
                continue  # no round in the current month
            present = [m for m in members if late.get(m, 0) <= month and rng.random() < 0.85]
            rng.shuffle(present)
            closes = "never" if month == MONTHS else "next month" if rng.random() < 0.25 else "in month"
            by_month[month] = RoundPlan([(m, random_answer(rng)) for m in present], closes)
        partners.append(members)
        joins.append(late)
        rounds.append(by_month)
    return Network(kinds, industries, partners, joins, rounds, [rng.random() < 0.7 for _ in partners])


def month_start(month: int) -> date:
    """The first day of plan month `month` (MONTHS is the current month)."""
    first = date.today().replace(day=1)
    for _ in range(MONTHS - month):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


# -- the viewer's view, through the API ------------------------------------------------------------------------

PROJECT_VIEW = f"""query View($id: ID!) {{
  node(id: $id) {{ ... on CooperationProject {{
    viewerRole
    latestStatistics {{ round {{ sequence }} responseCount expectedResponses suppressed nps {MEANS}
      meanByKind {{ kind responseCount suppressed {MEANS} }} }}
    {TRENDS}
    trends {{ dimension slope smoothed roundsUsed }}
    health {{ score riskLevel upToDate }}
    riskFlags(includeResolved: true) {{ id reason severity en: explanation de: explanation(language: DE) evidence
      organization {{ name }} raisedAt resolvedAt acknowledgedAt }}
    surveyRounds(first: 100) {{ edges {{ cursor node {{ id sequence status responseCount expectedResponses
      responses {{ overall }} myResponse {{ id overall continueLikelihood }} }} }} }}
  }} }}
}}"""
PORTFOLIO_SERIES = "key points { period mean responseCount organizationCount suppressed }"
NETWORK_VIEW = (
    "query Network {\n"
    + "\n".join(
        f"  {grouping.lower()}_{d.lower()}: satisfactionTrends(groupBy: {grouping}, dimension: {d}) "
        f"{{ {PORTFOLIO_SERIES} }}"
        for grouping in ("ORGANIZATION_KIND", "INDUSTRY")
        for d in DIMENSIONS
    )
    + f"""
  low: atRiskProjects(first: 100) {{ {AT_RISK} }}
  medium: atRiskProjects(minSeverity: MEDIUM, first: 100) {{ {AT_RISK} }}
  high: atRiskProjects(minSeverity: HIGH, first: 100) {{ {AT_RISK} }}
  atRisk: cooperationProjects(atRisk: true, first: 100) {{ {AT_RISK} }}
  calm: cooperationProjects(atRisk: false, first: 100) {{ {AT_RISK} }}
  viewer {{ organization {{ projects(first: 100) {{ totalCount edges {{ node {{ id title }} }} }} }} }}
}}"""
)


@dataclass
class Played:
    views: list[Any] = field(default_factory=list)  # what the viewer reads at the end of every month
    project_ids: list[str] = field(default_factory=list)


async def play(
    client: httpx.AsyncClient,
    connection: asyncpg.Connection,
    settings: Settings,
    network: Network,
    answers: dict[AnswerKey, Answers],
) -> Played:
    """Build the network from scratch and play it month by month through the API and the workers' steps."""
    await truncate_all(connection)
    orgs = [
        await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES ($1, $2, $3, 'Kassel', 'DE') "
            "RETURNING id",
            kind,
            f"Member {index}",
            industry,
        )
        for index, (kind, industry) in enumerate(zip(network.kinds, network.industries, strict=True))
    ]
    projects = [
        await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind, phase, exit_plan) VALUES ($1, 'TECHNOLOGY_PILOT', "
            "'ACTIVE', $2) RETURNING id",
            f"Project {index}",
            "Agreed." if exit_plan else None,
        )
        for index, exit_plan in enumerate(network.has_exit_plan)
    ]
    admin = (await create_token(connection, organization_id=None))[1]
    tokens = [(await create_token(connection, organization_id=org))[1] for org in orgs]
    played = Played()
    listed = (await gql(client, "{ cooperationProjects(first: 100) { edges { node { id title } } } }", {}, admin))[
        "cooperationProjects"
    ]["edges"]
    by_title = {edge["node"]["title"]: edge["node"]["id"] for edge in listed}
    played.project_ids = [by_title[f"Project {index}"] for index in range(len(projects))]
    rules = thresholds(settings)
    open_rounds: dict[int, str] = {}  # project -> its open round's global id

    async def close(project: int) -> None:
        closed = await gql(
            client,
            "mutation($r: ID!) { closeSurveyRound(input: {roundId: $r}) { userErrors { code } } }",
            {"r": open_rounds.pop(project)},
            admin,
        )
        assert closed["closeSurveyRound"]["userErrors"] == []

    for month in range(MONTHS + 1):
        for project in list(open_rounds):
            await close(project)  # rounds that stayed open over their month's publication
        for project, members in enumerate(network.partners):
            for organization in members:
                if network.joins[project].get(organization, 0) == month:
                    await connection.execute(
                        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3)",
                        projects[project],
                        orgs[organization],
                        "LEAD" if organization == members[0] else "PARTNER",
                    )
            plan = network.rounds[project].get(month)
            if plan is None:
                continue
            opened = await gql(
                client,
                "mutation($p: ID!) { openSurveyRound(input: {projectId: $p}) { surveyRound { id } "
                "userErrors { code } } }",
                {"p": played.project_ids[project]},
                admin,
            )
            assert opened["openSurveyRound"]["userErrors"] == [], opened
            open_rounds[project] = opened["openSurveyRound"]["surveyRound"]["id"]
            for organization, _ in plan.answers:
                submitted = await gql(
                    client,
                    "mutation($i: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $i) { "
                    "userErrors { code } } }",
                    {"i": {"roundId": open_rounds[project], **answers[(project, month, organization)]}},
                    tokens[organization],
                )
                assert submitted["submitSurveyResponse"]["userErrors"] == []
            if month < MONTHS:  # answered in that month: the portfolio counts them there
                await connection.execute(
                    "UPDATE survey_responses s SET submitted_at = $2::date + time '12:00' FROM survey_rounds r "
                    "WHERE r.id = s.round_id AND r.project_id = $1 AND r.status = 'OPEN'",
                    projects[project],
                    month_start(month) + timedelta(days=9),
                )
            if plan.closes == "in month":
                await close(project)
        # the month is over: the workers recompute, refresh the portfolio and publish the closed month
        for project in projects:
            await recompute(connection, project, rules)
        await refresh_portfolio(connection)
        await publish_closed_months(connection, settings.min_group_size)
        view = {"network": await gql(client, NETWORK_VIEW, {}, tokens[0])}
        for index, project_id in enumerate(played.project_ids):
            view[f"project {index}"] = await gql(client, PROJECT_VIEW, {"id": project_id}, tokens[0])
        played.views.append(without_times(view))
    return played


# -- the sums the view releases, and the worlds that agree with them -----------------------------------------


@dataclass
class Released:
    """One sum the viewer reads: over `keys` (answers), on `name`, equal to `total`."""

    name: str
    keys: frozenset[AnswerKey]
    total: int
    where: str


def integer(mean: float, count: int, where: str) -> int:
    total = mean * count
    assert abs(total - round(total)) < 1e-6, f"{where}: {mean} × {count} is no sum of answers"
    return round(total)


def released_sums(network: Network, played: Played) -> list[Released]:
    """Every sum the viewer's views at the end of each month release, once each."""
    found: dict[tuple[str, frozenset[AnswerKey]], Released] = {}
    for view in played.views:
        for released in sums_of_view(network, view):
            found.setdefault((released.name, released.keys), released)
    return list(found.values())


def sums_of_view(network: Network, view: dict[str, Any]) -> list[Released]:
    answers = network.answers()
    field_of = dict(zip(DIMENSIONS, LIKERT, strict=True))
    sums: list[Released] = []
    for project, by_month in enumerate(network.rounds):
        node = view[f"project {project}"]["node"]
        if node is None or node["viewerRole"] is None:
            continue
        keys_of_round = {
            sequence: {(project, month, organization) for organization, _ in by_month[month].answers}
            for sequence, month in enumerate(sorted(by_month), start=1)
        }

        for d in DIMENSIONS:
            for point in node[f"t_{d.lower()}"]:
                if point["mean"] is not None:
                    keys = frozenset(keys_of_round[point["sequence"]])
                    where = f"project {project} round {point['sequence']} {d}"
                    sums.append(Released(field_of[d], keys, integer(point["mean"], len(keys), where), where))
        latest = node["latestStatistics"]
        if latest is None:
            continue
        keys = keys_of_round[latest["round"]["sequence"]]
        for d in DIMENSIONS:
            if latest[d.lower()] is not None:
                where = f"project {project} latest {d}"
                sums.append(Released(field_of[d], frozenset(keys), integer(latest[d.lower()], len(keys), where), where))
            for kind in latest["meanByKind"]:
                if kind[d.lower()] is None:
                    continue
                members = frozenset(key for key in keys if network.kinds[key[2]] == kind["kind"])
                assert len(members) == kind["responseCount"]
                where = f"project {project} latest {kind['kind']} {d}"
                sums.append(Released(field_of[d], members, integer(kind[d.lower()], len(members), where), where))
    for grouping, attribute in (("organization_kind", network.kinds), ("industry", network.industries)):
        for d in DIMENSIONS:
            for series in view["network"][f"{grouping}_{d.lower()}"]:
                for point in series["points"]:
                    if point["mean"] is None:
                        continue
                    month = next(m for m in range(MONTHS) if month_start(m).isoformat() == point["period"])
                    keys = frozenset(key for key in answers if key[1] == month and attribute[key[2]] == series["key"])
                    assert len(keys) == point["responseCount"], (series["key"], point)
                    where = f"portfolio {grouping} {series['key']} {point['period']} {d}"
                    sums.append(Released(field_of[d], keys, integer(point["mean"], len(keys), where), where))
    return sums


Constraint = tuple[list[int], int]  # indexes of unknowns, their sum


def solve(domains: list[list[int]], constraints: list[Constraint]) -> list[int] | None:
    """Values for the unknowns, each from its domain (tried in that order), meeting every constraint; None
    when there are none. A complete backtracking search: it branches on an unknown of the constraint with the
    fewest open unknowns and prunes as soon as a constraint's rest cannot be reached in 1-5 per open unknown."""
    values: list[int | None] = [None] * len(domains)
    of_unknown: list[list[int]] = [[] for _ in domains]
    for index, (members, _) in enumerate(constraints):
        for i in members:
            of_unknown[i].append(index)
    rest = [total for _, total in constraints]
    open_count = [len(members) for members, _ in constraints]

    def reachable(c: int) -> bool:
        return open_count[c] <= rest[c] <= 5 * open_count[c]

    def search() -> bool:
        tightest = min((c for c in range(len(constraints)) if open_count[c]), key=open_count.__getitem__, default=None)
        if tightest is None:  # every constrained unknown is set; the others take their first value
            for i, value in enumerate(values):
                if value is None:
                    values[i] = domains[i][0]
            return True
        i = next(i for i in constraints[tightest][0] if values[i] is None)
        for value in domains[i]:
            values[i] = value
            for c in of_unknown[i]:
                rest[c] -= value
                open_count[c] -= 1
            if all(reachable(c) for c in of_unknown[i]) and search():
                return True
            for c in of_unknown[i]:
                rest[c] += value
                open_count[c] += 1
        values[i] = None
        return False

    if not all(domains) or not all(reachable(c) for c in range(len(constraints))) or not search():
        return None
    return [value for value in values if value is not None]


def components(count: int, constraints: list[Constraint]) -> list[tuple[list[int], list[Constraint]]]:
    """The unknowns split into groups no constraint links: (unknowns, their constraints renumbered)."""
    group = list(range(count))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for members, _ in constraints:
        for i in members[1:]:
            group[root(i)] = root(members[0])
    found: dict[int, list[int]] = {}
    for i in range(count):
        found.setdefault(root(i), []).append(i)
    result = []
    for unknowns in found.values():
        local = {i: position for position, i in enumerate(unknowns)}
        linked = [
            ([local[i] for i in members], total) for members, total in constraints if members and members[0] in local
        ]
        result.append((unknowns, linked))
    return result


def differing_first(real: int) -> list[int]:
    """1-5, the real value last: a search then finds worlds that differ from the real one wherever they can."""
    return [value for value in (5, 1, 4, 2, 3) if value != real] + [real]


@dataclass
class Enumerated:
    determined: set[tuple[AnswerKey, str]]
    worlds: list[dict[AnswerKey, Answers]]  # together differing from the truth in every undetermined answer
    unknowns: int  # other organizations' answers × Likert dimensions
    searches: int


def designed(key: AnswerKey, name: str, sums: list[Released], truth: dict[AnswerKey, Answers]) -> bool:
    """A unanimous group (SECURITY.md): the answer is in a set of answers whose sum the viewer reads — a released
    sum, or one released sum minus another that it contains once the viewer's own answers are taken out — that
    at least the group size of organizations stand behind (the viewer's included, as for a round of exactly
    that size) and whose answers other than the viewer's all are 1 or all 5."""
    of_name = [released for released in sums if released.name == name]
    for outer in of_name:
        if key not in outer.keys:
            continue
        for inner in [None, *of_name]:
            inner_others = frozenset() if inner is None else {k for k in inner.keys if k[2] != 0}
            if key in inner_others or not inner_others <= outer.keys:
                continue
            group = outer.keys - inner_others
            behind = {k[2] for k in group} | ({0} if inner and any(k[2] == 0 for k in inner.keys) else set())
            values = {truth[k][name] for k in group if k[2] != 0}
            if len(behind) >= MINIMUM and len(values) == 1 and values <= {1, 5}:
                return True
    return False


def enumerate_worlds(network: Network, sums: list[Released]) -> Enumerated:
    """Per dimension and group of linked unknowns: a consistent world differing from the truth wherever the
    search finds one, then for every answer still equal a search for a world where it differs (none: the
    answer is determined, and must be designed); a few worlds then cover every undetermined answer."""
    truth = network.answers()
    others = sorted(key for key in truth if key[2] != 0)
    index_of = {key: i for i, key in enumerate(others)}
    determined: set[tuple[AnswerKey, str]] = set()
    picked: dict[str, list[list[int]]] = {}
    searches = 0
    for name in LIKERT:
        constraints = []
        for released in sums:
            if released.name == name:
                own = sum(truth[k][name] for k in released.keys if k[2] == 0)
                constraints.append(([index_of[k] for k in released.keys if k[2] != 0], released.total - own))
        real = [truth[key][name] for key in others]
        worlds_of_dimension: list[list[int]] = []  # each a consistent assignment of every other answer
        for unknowns, linked in components(len(others), constraints):
            local_real = [real[i] for i in unknowns]
            assert solve([[value] for value in local_real], linked) is not None  # the truth agrees
            solutions: list[list[int]] = []
            for position in [None, *range(len(unknowns))]:
                if position is not None and any(s[position] != local_real[position] for s in solutions):
                    continue
                domains = [differing_first(value) for value in local_real]
                if position is not None:
                    domains[position].remove(local_real[position])
                searches += 1
                found = solve(domains, linked)
                if found is not None:
                    solutions.append(found)
                    continue
                assert position is not None
                key = others[unknowns[position]]
                assert designed(key, name, sums, truth), (
                    f"{name} of organization {key[2]} in project {key[0]}, month {key[1]} "
                    f"({local_real[position]}) is determined by what organization 0 sees: "
                    f"{[s.where for s in sums if key in s.keys]}\n{network}"
                )
                determined.add((key, name))
            # few of them, together differing wherever an answer is not determined; the groups are independent,
            # so the n-th world of the dimension combines every group's n-th
            missed = {i for i in range(len(unknowns)) if any(s[i] != local_real[i] for s in solutions)}
            chosen: list[list[int]] = []
            while missed:
                best = max(solutions, key=lambda s: sum(s[i] != local_real[i] for i in missed))
                chosen.append(best)
                missed -= {i for i in missed if best[i] != local_real[i]}
            for index, solution in enumerate(chosen or [local_real]):
                if index == len(worlds_of_dimension):
                    worlds_of_dimension.append(list(worlds_of_dimension[-1] if worlds_of_dimension else real))
                for local, value in enumerate(solution):
                    worlds_of_dimension[index][unknowns[local]] = value
            for world in worlds_of_dimension[len(chosen or [local_real]) :]:
                for local, value in enumerate((chosen or [local_real])[-1]):
                    world[unknowns[local]] = value
        picked[name] = worlds_of_dimension or [real]
    worlds = []
    for index in range(max(len(chosen) for chosen in picked.values())):
        world = {key: dict(values) for key, values in truth.items()}
        for name, chosen in picked.items():
            for i, key in enumerate(others):
                world[key][name] = chosen[min(index, len(chosen) - 1)][i]
        if index == 0:
            for key in others:
                world[key]["continueLikelihood"] = same_nps_category(world[key]["continueLikelihood"])
        worlds.append(world)
    return Enumerated(determined, worlds, len(others) * len(LIKERT), searches)


async def test_no_partner_can_tell_networks_apart_that_differ_in_every_undetermined_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    assert settings.min_group_size == MINIMUM
    portfolio_sums = released_rounds = crossed_months = 0
    for seed in range(int(os.environ.get("CONSISTENT_NETWORKS", "3"))):
        network = random_network(random.Random(seed))
        truth = network.answers()
        seen = await play(client, connection, settings, network, truth)
        sums = released_sums(network, seen)
        crossed_months += sum(month_needs_the_crossed_check(network, month) for month in range(MONTHS))
        portfolio_sums += sum(s.where.startswith("portfolio") for s in sums)
        released_rounds += sum(not s.where.startswith("portfolio") for s in sums)
        enumerated = enumerate_worlds(network, sums)
        varied = {
            (key, name)
            for world in enumerated.worlds
            for key, values in world.items()
            for name in LIKERT
            if values[name] != truth[key][name]
        }
        assert len(varied) == enumerated.unknowns - len(enumerated.determined)
        for world in enumerated.worlds:
            views = (await play(client, connection, settings, network, world)).views
            for month, (view, expected) in enumerate(zip(views, seen.views, strict=True)):
                assert view == expected, f"month {month}: {first_difference(view, expected)}\n{network}"
    assert portfolio_sums > 0 and released_rounds > 0  # the networks release something on both sides
    assert crossed_months > 0  # and the rank check across both groupings decides some month's cells


def month_needs_the_crossed_check(network: Network, month: int) -> bool:
    """Whether the rank check across both groupings withholds a cell of the month that holds the group size."""
    organizations = {o for by_month in network.rounds for o, _ in by_month.get(month, RoundPlan([], "")).answers}
    atoms: dict[tuple[str, str], int] = {}
    for o in organizations:
        atoms[(network.kinds[o], network.industries[o])] = atoms.get((network.kinds[o], network.industries[o]), 0) + 1
    cells: dict[tuple[str, str], int] = {}
    for (kind, industry), count in atoms.items():
        cells[("ORGANIZATION_KIND", kind)] = cells.get(("ORGANIZATION_KIND", kind), 0) + count
        cells[("INDUSTRY", industry)] = cells.get(("INDUSTRY", industry), 0) + count
    large = {cell for cell, count in cells.items() if count >= MINIMUM}
    return bool(large - released_cells([(k, i, n) for (k, i), n in atoms.items()], MINIMUM))


def test_the_search_finds_what_full_enumeration_finds() -> None:
    """The backtracking search against itertools.product over the same small constraints."""
    rng = random.Random(5)
    for _ in range(300):
        size = rng.randint(1, 5)
        truth = [rng.randint(1, 5) for _ in range(size)]
        constraints = []
        for _ in range(rng.randint(1, 3)):
            members = rng.sample(range(size), rng.randint(1, size))
            constraints.append((members, sum(truth[i] for i in members)))
        worlds = [
            values
            for values in itertools.product(range(1, 6), repeat=size)
            if all(sum(values[i] for i in members) == total for members, total in constraints)
        ]
        for i in range(size):
            for value in range(1, 6):
                domains = [differing_first(v) for v in truth]
                domains[i] = [value]
                found = solve(domains, constraints)
                assert (found is not None) == any(world[i] == value for world in worlds)
                assert found is None or tuple(found) in worlds
