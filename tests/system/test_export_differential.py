"""The set-based export gives, byte for byte, what the GraphQL schema gives the same token (the export as it was
first built, kept in tests/helpers/graphql_export.py): for every role that can export, both dialects, every
visible project, individual answers and projects by id."""

import csv
import io
from datetime import date

import asyncpg
import pytest
from strawberry.relay import to_base64

from db.demo import plan_network
from db.seed import load_network
from db.tokens import create_token
from partnerpulse import export
from partnerpulse.export import DIALECTS, ExportError, InProcessApi, Table, projects_table, write_csv
from partnerpulse.settings import Settings
from tests.helpers.graphql_export import graphql_projects_table
from workers.bulk import recompute_all
from workers.recompute import thresholds

FORMULAS = ["=SUM(A1:A9)", "+49 241 80", "-1", "@cmd", "\tindented", "plain words", None]


async def long_project(connection: asyncpg.Connection) -> int:
    """A project with more rounds than an export gives (100, the latest), its answers' comments starting with
    what a spreadsheet runs as a formula, some without a comment."""
    project = await connection.fetchval(
        "SELECT project_id FROM project_partners WHERE role <> 'MODERATOR' AND left_on IS NULL "
        "GROUP BY project_id HAVING count(*) >= 3 ORDER BY project_id LIMIT 1"
    )
    await connection.execute(
        "UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE project_id = $1 AND status = 'OPEN'",
        project,
    )
    base = await connection.fetchval(
        "SELECT coalesce(max(sequence), 0) FROM survey_rounds WHERE project_id = $1", project
    )
    await connection.execute(
        "INSERT INTO survey_rounds (project_id, sequence, status, opened_at, closed_at) "
        "SELECT $1, $2 + n, 'CLOSED', now() - make_interval(days => 300 - n), now() - make_interval(days => 299 - n) "
        "FROM generate_series(1, 105) n",
        project,
        base,
    )
    await connection.execute(
        "INSERT INTO survey_round_participants (round_id, organization_id) "
        "SELECT r.id, p.organization_id FROM survey_rounds r JOIN project_partners p USING (project_id) "
        "WHERE r.project_id = $1 AND r.sequence > $2 AND p.role <> 'MODERATOR'",
        project,
        base,
    )
    # round n gets n % 4 answers: none, or fewer than, as many as or more than the minimum group size of 3
    partners = [r["organization_id"] for r in await connection.fetch(
        "SELECT organization_id FROM survey_round_participants WHERE round_id = "
        "(SELECT id FROM survey_rounds WHERE project_id = $1 AND sequence = $2 + 1) ORDER BY 1", project, base
    )]  # fmt: skip
    for n in range(1, 106):
        for i, organization in enumerate(partners[: n % 4]):
            await connection.execute(
                "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
                "decision_speed, communication_trust, continue_likelihood, comment, submitted_at) "
                "SELECT id, $3, $4, $5, 3, 4, 2, $6, $7, opened_at + make_interval(hours => $8) "
                "FROM survey_rounds WHERE project_id = $1 AND sequence = $2",
                project,
                base + n,
                organization,
                1 + (n + i) % 5,
                1 + (n * 3 + i) % 5,
                (n + i) % 11,
                FORMULAS[(n + i) % len(FORMULAS)],
                1 + i,
            )
    return int(project)


async def generated_network(connection: asyncpg.Connection) -> dict[str, list[int]]:
    """The demo network with statistics, then changes the workers have not seen yet; project ids of note."""
    await load_network(connection, plan_network(seed=11, today=date(2026, 11, 26)))
    long = await long_project(connection)
    await recompute_all(connection, thresholds(Settings()))
    # after the computation: a round without statistics, and a round whose stored count is one answer stale
    unseen = await connection.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) SELECT $1, max(sequence) + 1 FROM survey_rounds "
        "WHERE project_id = $1 RETURNING id",
        long,
    )
    await connection.execute(
        "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
        "decision_speed, communication_trust, continue_likelihood, comment) "
        "SELECT $1, organization_id, 5, 5, 5, 5, 5, 10, '=1+1' FROM project_partners "
        "WHERE project_id = $2 AND role <> 'MODERATOR' LIMIT 1",
        unseen,
        long,
    )
    await connection.execute(
        "DELETE FROM survey_responses WHERE id = (SELECT max(s.id) FROM survey_responses s "
        "JOIN survey_rounds r ON r.id = s.round_id WHERE r.project_id <> $1 AND r.status = 'CLOSED')",
        long,
    )
    published = [r["id"] for r in await connection.fetch(
        "SELECT id FROM cooperation_projects WHERE published_at IS NOT NULL ORDER BY id LIMIT 2"
    )]  # fmt: skip
    return {"long": [long], "published": published}


async def tokens_by_role(connection: asyncpg.Connection, long_project: int) -> dict[str, str]:
    """admin; the organization moderating most projects; a plain partner of the long project, which left
    another project (still listed, its rounds no longer its business); an organization in no project."""
    moderator = await connection.fetchval(
        "SELECT organization_id FROM project_partners WHERE role = 'MODERATOR' GROUP BY 1 ORDER BY count(*) DESC, 1 "
        "LIMIT 1"
    )
    partner = await connection.fetchval(
        "SELECT p.organization_id FROM project_partners p WHERE p.role = 'PARTNER' AND p.project_id = $1 "
        "ORDER BY (SELECT count(*) FROM project_partners o WHERE o.organization_id = p.organization_id) DESC, 1 "
        "LIMIT 1",
        long_project,
    )
    await connection.execute(
        "UPDATE project_partners SET left_on = joined_on WHERE organization_id = $1 AND project_id = "
        "(SELECT min(project_id) FROM project_partners WHERE organization_id = $1 AND project_id <> $2)",
        partner,
        long_project,
    )
    outsider = await connection.fetchval(
        "SELECT id FROM organizations o WHERE NOT EXISTS (SELECT FROM project_partners p WHERE p.organization_id = o.id) "
        "ORDER BY id LIMIT 1"
    )
    tokens = {"admin": (await create_token(connection, organization_id=None))[1]}
    for role, organization in [("moderator", moderator), ("partner", partner), ("outsider", outsider)]:
        assert organization is not None, role
        tokens[role] = (await create_token(connection, organization_id=organization))[1]
    return tokens


async def csv_text(table: Table, dialect: str) -> str:
    target = io.StringIO()
    await write_csv(table, target, DIALECTS[dialect], lambda done: None)
    return target.getvalue()


async def both(api: InProcessApi, ids: list[str], answers: bool, dialect: str) -> tuple[str, str]:
    """(GraphQL export, set-based export) as CSV text."""
    expected = await csv_text(graphql_projects_table(api, ids, answers), dialect)
    return expected, await csv_text(projects_table(api, ids, answers), dialect)


async def refusal(table: Table) -> str | None:
    try:
        await csv_text(table, "standard")
    except ExportError as error:
        return str(error)
    return None


async def test_set_based_export_is_the_graphql_export_byte_for_byte(
    pool: asyncpg.Pool, connection: asyncpg.Connection, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    noted = await generated_network(connection)
    tokens = await tokens_by_role(connection, noted["long"][0])
    monkeypatch.setattr(export, "PAGE", 7)  # many pages of the set-based export: the keyset paging is exercised
    all_ids = [r["id"] for r in await connection.fetch("SELECT id FROM cooperation_projects ORDER BY id")]
    candidates = [
        *(to_base64("CooperationProject", i) for i in [*noted["long"], *noted["published"], *all_ids[::9]]),
        to_base64("CooperationProject", 10**9),
        to_base64("ProjectGoal", 1),
        "not an id",
    ]
    outputs: dict[str, str] = {}
    for role, token in tokens.items():
        api = await InProcessApi.for_token(pool, settings, token)
        for dialect in DIALECTS:
            expected, answer = await both(api, [], False, dialect)
            assert answer == expected, (role, dialect)
            outputs[f"{role} {dialect}"] = answer
        visible = []
        for project_id in candidates:  # one by one: the ones the token may not see are refused the same way
            expected_refusal = await refusal(graphql_projects_table(api, [project_id], False))
            assert await refusal(projects_table(api, [project_id], False)) == expected_refusal, (role, project_id)
            if expected_refusal is None:
                visible.append(project_id)
        by_id = [*visible, *visible[:1]]  # a repeated id is exported twice, as before
        for dialect in DIALECTS:
            expected, answer = await both(api, by_id, False, dialect)
            assert answer == expected, (role, dialect, by_id)
        if role != "admin":
            with pytest.raises(ExportError, match="individual answers are exported for admin tokens only"):
                projects_table(api, [], True)
            continue
        for dialect in DIALECTS:
            for ids in ([], by_id):
                expected, answer = await both(api, ids, True, dialect)
                assert answer == expected, (role, dialect, ids)
                assert "'=SUM(A1:A9)" in answer and "'+49 241 80" in answer and "\n=" not in answer
                outputs[f"answers {dialect} {len(ids)}"] = answer

    admin_api = await InProcessApi.for_token(pool, settings, tokens["admin"])
    for page in (1, len(all_ids), len(all_ids) + 1):  # one project a page; all in exactly one; a short page
        monkeypatch.setattr(export, "PAGE", page)
        assert await csv_text(projects_table(admin_api, [], False), "standard") == outputs["admin standard"], page

    # the data had what the rules are about: the comparison would see a difference in any of them
    admin, partner = outputs["admin standard"], outputs["partner standard"]
    assert len(admin.splitlines()) > len(outputs["moderator standard"].splitlines()) > 1
    assert ",True\r\n" in partner and ",False\r\n" in partner and ",True\r\n" not in admin  # suppressed for partners
    assert outputs["outsider standard"].count("\r\n") == 1  # the header only
    long_id = to_base64("CooperationProject", noted["long"][0])
    long_rows = [row for row in csv.reader(io.StringIO(admin)) if row[0] == long_id]
    sequences = [int(row[4]) for row in long_rows]  # the latest 100 rounds, oldest first
    assert len(sequences) == 100 and sequences == sorted(sequences) and sequences[-1] - sequences[0] == 99
    assert long_rows[-1][8] == "1" and long_rows[-1][10:15] == [""] * 5  # answered, not computed yet
    assert ";" in outputs["admin excel-de"].splitlines()[1] and "," in outputs["answers excel-de 0"]
