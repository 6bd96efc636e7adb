import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import asyncpg
import pytest

from db.demo import Trajectory, iter_project_batches, organization_rows, plan_network, project_rows
from db.seed import insert_small_projects, load_network, truncate_all
from db.tokens import create_member_tokens, find_token

TODAY = date(2026, 11, 26)


TABLE_CHECKSUMS = {
    table: f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
    for table in (
        "organizations",
        "cooperation_projects",
        "project_partners",
        "project_goals",
        "survey_rounds",
        "survey_round_participants",
        "survey_responses",
    )
}


async def checksums(connection: asyncpg.Connection) -> dict[str, str]:
    return {table: await connection.fetchval(sql) for table, sql in TABLE_CHECKSUMS.items()}


def all_rows(seed: int) -> list:
    network = plan_network(seed=seed, today=TODAY)
    return [batch for batch, _ in iter_project_batches(network, batch_size=7)]


def test_the_same_seed_gives_the_same_network_and_another_seed_another() -> None:
    assert all_rows(42) == all_rows(42)
    assert all_rows(42) != all_rows(43)


def test_batching_does_not_change_the_data() -> None:
    network = plan_network(seed=42, today=TODAY)
    merged: dict[str, list] = defaultdict(list)
    for size in (1, 500):
        rows: dict[str, list] = defaultdict(list)
        for batch, _ in iter_project_batches(network, batch_size=size):
            for table, table_rows in batch.items():
                rows[table].extend(table_rows)
        merged[size] = rows
    assert merged[1] == merged[500]


async def test_loading_twice_gives_identical_tables(connection: asyncpg.Connection) -> None:
    network = plan_network(seed=7, today=TODAY)
    counts = await load_network(connection, network)
    first = await checksums(connection)
    await truncate_all(connection)
    assert await load_network(connection, plan_network(seed=7, today=TODAY)) == counts
    assert await checksums(connection) == first


async def test_seed_refuses_a_database_with_data(connection: asyncpg.Connection) -> None:
    network = plan_network(seed=1, today=TODAY)
    await load_network(connection, network)
    with pytest.raises(ValueError, match="empty database"):
        await load_network(connection, network)


def test_demo_network_size_and_variety() -> None:
    network = plan_network(seed=42, today=TODAY)
    assert len(network.organizations) == 200
    assert len(network.projects) == 80
    assert set(Counter(o.kind for o in network.organizations)) == {"STARTUP", "SME", "CORPORATE", "RESEARCH_INSTITUTE"}
    assert {p.phase for p in network.projects} == {
        "ASSESSMENT",
        "GOAL_SETTING",
        "PARTNER_SEARCH",
        "INITIATION",
        "ACTIVE",
        "COMPLETED",
        "TERMINATED",
    }
    assert set(Trajectory) <= {p.trajectory for p in network.projects}
    round_counts = {
        p.id: len(project_rows(network, p, 1)[0]["survey_rounds"]) for p in network.projects if p.phase == "ACTIVE"
    }
    assert min(round_counts.values()) >= 6 and max(round_counts.values()) <= 12


def latest_overall_by_partner(rows: dict) -> tuple[dict[int, int], int]:
    rounds = {r[0]: r for r in rows["survey_rounds"]}
    latest = max((rounds[a[0]][2] for a in rows["survey_responses"]), default=0)
    return {a[1]: a[2] for a in rows["survey_responses"] if rounds[a[0]][2] == latest}, latest


def round_means(rows: dict) -> list[float]:
    by_round: dict[int, list[int]] = defaultdict(list)
    rounds = {r[0]: r[2] for r in rows["survey_rounds"]}
    for answer in rows["survey_responses"]:
        by_round[rounds[answer[0]]].append(answer[2])
    return [sum(v) / len(v) for _, v in sorted(by_round.items())]


@pytest.mark.parametrize("seed", [42, 1, 2026])
def test_each_project_tells_the_story_it_was_planted_with(seed: int) -> None:
    network = plan_network(seed=seed, today=TODAY)
    for plan in network.projects:
        rows, _ = project_rows(network, plan, 1)
        project = rows["cooperation_projects"][0]
        phase_changed, exit_plan = project[5], project[8]
        latest, _ = latest_overall_by_partner(rows)
        means = round_means(rows)
        kinds = {o.id: o.kind for o in network.organizations}
        story = f"project {plan.id} ({plan.trajectory}, seed {seed})"
        if plan.trajectory == Trajectory.HEALTHY:
            assert min(latest.values()) >= 4 and max(latest.values()) - min(latest.values()) <= 1, story
            assert max(means) - means[-1] < 1.0 and min(means) >= 3.5, story
            if plan.phase == "ACTIVE":
                assert exit_plan is not None or (TODAY - phase_changed.date()).days <= 90, story
        elif plan.trajectory == Trajectory.DECLINING:
            assert means[-1] <= means[-4] - 1.0, story
        elif plan.trajectory == Trajectory.ASYMMETRIC:
            startups = [v for org, v in latest.items() if kinds[org] == "STARTUP"]
            assert startups and max(latest.values()) - min(startups) >= 1.5, story
        elif plan.trajectory == Trajectory.SILENT_PARTNER:
            closed = sorted((r for r in rows["survey_rounds"] if r[3] == "CLOSED"), key=lambda r: r[2])[-2:]
            answered = {(a[0], a[1]) for a in rows["survey_responses"]}
            expected = {org for org, role in plan.partners if role != "MODERATOR"}
            assert any(all((r[0], org) not in answered for r in closed) for org in expected), story
        elif plan.trajectory == Trajectory.NO_EXIT_PLAN:
            assert exit_plan is None and plan.phase == "ACTIVE", story
            assert phase_changed.date() < TODAY - timedelta(days=90), story
        elif plan.trajectory == Trajectory.STALLED:
            assert plan.phase in ("ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION"), story
            assert phase_changed.date() < TODAY - timedelta(days=60), story
        elif plan.trajectory == Trajectory.UNMET_EXPECTATIONS:
            overdue = [g for g in rows["project_goals"] if g[4] == "OPEN" and g[3] < TODAY]
            assert overdue, story


async def test_small_benchmark_projects_have_their_partners_and_tokens(connection: asyncpg.Connection) -> None:
    projects = await insert_small_projects(connection, 3, partners=4)
    assert len(projects) == 3 and all(len(p) == 5 for p in projects)
    organizations = [o for _, *orgs in projects for o in orgs]
    assert len(set(organizations)) == 12
    for project, lead, *others in projects:
        roles = dict(
            await connection.fetch(
                "SELECT organization_id, role::text FROM project_partners WHERE project_id = $1", project
            )
        )
        assert roles == {lead: "LEAD", **dict.fromkeys(others, "PARTNER")}
    tokens = await create_member_tokens(connection, organizations)
    found = [await find_token(connection, token) for token in tokens]
    assert [record.organization_id for record in found if record] == organizations


async def test_small_benchmark_projects_can_be_made_twice_in_one_database(connection: asyncpg.Connection) -> None:
    """Organization names are unique (migration 0011): the benchmark makes two sets of projects in one database."""
    first = await insert_small_projects(connection, 2, partners=3)
    second = await insert_small_projects(connection, 2, partners=3)
    assert len({o for _, *orgs in first + second for o in orgs}) == 12


def test_the_demo_shows_the_consent_flow_and_its_stories_name_partners_that_agreed() -> None:
    """Published stories look as before consent existed: every partner approved and appears. One invitation
    is pending, to an organization not in the project, so that the demo shows the flow. Names are unique."""
    network = plan_network(seed=42, today=TODAY)
    rows: dict[str, list] = defaultdict(list)
    for batch, _ in iter_project_batches(network):
        for table, table_rows in batch.items():
            rows[table].extend(table_rows)
    published = {p[0] for p in rows["cooperation_projects"] if p[10] is not None}
    assert published
    for project, _, _, _, _, approved_at, on_marketplace in rows["project_partners"]:
        assert (approved_at is not None, on_marketplace) == ((project in published),) * 2
    [(project, invitee, role, status, invited_by, _)] = rows["project_invitations"]
    partners = {org: r for p, org, r, *_ in rows["project_partners"] if p == project}
    assert invitee not in partners and partners[invited_by] == "LEAD" and (role, status) == ("PARTNER", "INVITED")
    names = ["".join(o.name.split()).lower() for o in network.organizations]
    assert len(set(names)) == len(names)


GERMAN_WORDS = {"und", "der", "die", "das", "wurde", "ein", "eine", "mit", "nur", "bei", "uns", "wir", "nie"}
ENGLISH_WORDS = {"the", "and", "with", "a", "of", "to", "their", "is", "our", "who"}


def test_the_demo_network_reads_like_a_real_one() -> None:
    """What a visitor reads in the demo: names instead of internal ids, organizations founded before their
    projects started, each text in one language, legal forms that exist where the SMEs and startups are located
    (all in the DACH region), and no running project past its planned end."""
    for seed in (42, 7):
        network = plan_network(seed=seed, today=TODAY)
        organizations = {row[0]: row for row in organization_rows(network)}
        rows: dict[str, list] = defaultdict(list)
        for batch, _ in iter_project_batches(network):
            for table, table_rows in batch.items():
                rows[table].extend(table_rows)
        names = {o.id: o.name for o in network.organizations}
        started = {p[0]: p[6] for p in rows["cooperation_projects"]}
        texts = [p[2] for p in rows["cooperation_projects"]] + [p[8] for p in rows["cooperation_projects"]]
        texts += [p[9] for p in rows["cooperation_projects"]] + [o[10] for o in organizations.values()]
        texts += [a[8] for a in rows["survey_responses"]]
        for text in filter(None, texts):
            assert not re.search(r"\b(partner|organi[sz]ation|project|id) #?\d+", text, flags=re.I), text
            words = set(re.findall(r"\w+", text.lower()))
            assert not (words & GERMAN_WORDS and words & ENGLISH_WORDS), f"two languages in one text: {text}"
        for project in rows["cooperation_projects"]:
            lead = next(p[1] for p in rows["project_partners"] if p[0] == project[0] and p[2] == "LEAD")
            assert names[lead] in project[2]
        for project, organization, *_ in rows["project_partners"]:
            assert organizations[organization][7] <= started[project].year, (project, organizations[organization])
        for o in network.organizations:
            if o.kind in ("SME", "STARTUP"):
                assert o.country in ("DE", "AT", "CH"), o
                assert "UG (haftungsbeschränkt)" not in o.name or o.country == "DE", o
                assert "GmbH & Co. KG" not in o.name or o.country != "CH", o
        for project in rows["cooperation_projects"]:
            if project[4] not in ("COMPLETED", "TERMINATED"):
                assert project[7] > TODAY, f"project {project[0]} ({project[4]}) ended on {project[7]} as planned"
