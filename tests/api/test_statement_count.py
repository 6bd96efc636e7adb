"""Every request costs a bounded number of SQL statements, whatever the page size (no N+1)."""

import logging
from collections import Counter
from datetime import date

import asyncpg
import httpx
import pytest
from strawberry.relay import to_base64

from bench import queries
from db.demo import plan_network
from db.seed import load_network
from db.tokens import create_token
from partnerpulse.settings import Settings
from tests.helpers import gql
from workers.bulk import recompute_all
from workers.recompute import thresholds

PROJECTS_PAGE = """
query($first: Int!) {
  cooperationProjects(first: $first) {
    totalCount
    edges { node {
      title phase viewerRole exitPlan
      partners { role organization { name kind ... on Startup { fundingStage } projectCount } }
      goals { title status owner { name } }
      invitations { status organization { name } }
    } }
  }
}
"""
DIRECTORY_PAGE = """
query($first: Int!) {
  organizations(first: $first) {
    edges { node { name projectCount projects(first: 5) { edges { node { title partners { organization { name } } } } } } }
  }
}
"""


async def grow_network(connection: asyncpg.Connection, projects: int) -> int:
    """`projects` active projects of 3 partners and 2 goals each, all with organization 1 in them."""
    await connection.execute(
        """
        INSERT INTO organizations (kind, name, industry, city, country, funding_stage)
        SELECT (ARRAY['SME','STARTUP','CORPORATE']::organization_kind[])[1 + i % 3], 'Org ' || i, 'Logistics', 'Kiel', 'DE',
               CASE WHEN i % 3 = 1 THEN 'SEED'::funding_stage END
        FROM generate_series(1, $1 * 2 + 2) i
        """,
        projects,
    )
    await connection.execute(
        "INSERT INTO cooperation_projects (title, kind, phase) SELECT 'Project ' || i, 'MARKETING', 'ACTIVE' FROM generate_series(1, $1) i",
        projects,
    )
    await connection.execute(
        """
        INSERT INTO project_partners (project_id, organization_id, role)
        SELECT p.id, 1, 'LEAD'::partner_role FROM cooperation_projects p
        UNION ALL SELECT p.id, 1 + 2 * p.id, 'PARTNER' FROM cooperation_projects p
        UNION ALL SELECT p.id, 2 + 2 * p.id, 'MODERATOR' FROM cooperation_projects p
        """
    )
    await connection.execute(
        """
        INSERT INTO project_goals (project_id, title, owner_organization_id)
        SELECT p.id, 'Goal ' || g, 1 FROM cooperation_projects p, generate_series(1, 2) g
        """
    )
    return (await create_token(connection, organization_id=1))[1]


async def statements_of(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, query: str, variables: dict, token: str
) -> tuple[list[str], dict]:
    """The SQL statements one request sent, as the request log reports them (DEBUG lists them)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="partnerpulse.request"):
        data = await gql(client, query, variables, token)
    [summary] = [r for r in caplog.records if r.getMessage() == "request"]
    listed = [r.statements for r in caplog.records if r.getMessage() == "request statements"]
    statements = listed[0] if listed else []
    assert summary.sql_statements == len(statements)
    return statements, data


@pytest.mark.parametrize("query, root", [(PROJECTS_PAGE, "cooperationProjects"), (DIRECTORY_PAGE, "organizations")])
async def test_statement_count_does_not_grow_with_page_size(
    client: httpx.AsyncClient, connection: asyncpg.Connection, caplog: pytest.LogCaptureFixture, query: str, root: str
) -> None:
    token = await grow_network(connection, 100)
    await statements_of(client, caplog, query, {"first": 1}, token)  # the API has checked the token (TokenCache)
    small, small_data = await statements_of(client, caplog, query, {"first": 10}, token)
    large, large_data = await statements_of(client, caplog, query, {"first": 100}, token)
    assert len(small_data[root]["edges"]) == 10 and len(large_data[root]["edges"]) == 100
    # The same statements for 10 and 100 rows, none repeated per row. A loader may run twice when two
    # branches of the query ask for the same kind of object in different event-loop ticks (which tick
    # depends on which query PostgreSQL answers first), so a text may appear at most twice.
    assert set(small) == set(large), "\n---\n".join(["10 rows:", *small, "100 rows:", *large])
    for statements in (small, large):
        assert max(Counter(statements).values()) <= 2, statements
        assert len(statements) <= 12


async def test_the_benchmark_queries_cost_a_fixed_number_of_statements(
    client: httpx.AsyncClient, connection: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """The three queries `python -m bench` measures, on the demo network with its statistics and flags: each
    costs the same few statements on every run. A new statement here is a speed change: count it on purpose."""
    await load_network(connection, plan_network(seed=3, today=date(2026, 11, 26)))
    await recompute_all(connection, thresholds(Settings()))
    _, token = await create_token(connection, organization_id=None, label="admin")
    project = await connection.fetchval(
        "SELECT project_id FROM project_health WHERE risk_level <> 'NONE' ORDER BY risk_rank DESC LIMIT 1"
    )
    await statements_of(client, caplog, "{ viewer { role } }", {}, token)  # the API has checked the token
    cases = {
        "dashboard": (queries.DASHBOARD, {}, 4),  # at-risk page, partners, latest statistics, open flags
        "project": (queries.PROJECT, {"id": to_base64("CooperationProject", project)}, 7),
        "directory": (queries.DIRECTORY, {}, 2),  # the page, the project counts
    }
    for name, (query, variables, expected) in cases.items():
        statements, data = await statements_of(client, caplog, query, variables, token)
        assert data, name
        assert len(statements) == expected, "\n---\n".join([f"{name}: {len(statements)} statements", *statements])
    dashboard, _ = await statements_of(client, caplog, queries.DASHBOARD, {}, token)
    assert len(dashboard) == 4  # and again: nothing is counted twice, nothing left out
