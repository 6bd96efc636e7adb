"""Loading generated data with COPY (db/demo.py decides what the data is)."""

from collections.abc import Callable

import asyncpg

from db.demo import COLUMNS, Network, iter_project_batches, organization_rows

# every table seed writes to, children after parents
SEEDED_TABLES = list(COLUMNS)
# tables whose identity sequence must move past the ids COPY wrote explicitly
IDENTITY_TABLES = [
    "organizations",
    "cooperation_projects",
    "project_phase_changes",
    "project_goals",
    "survey_rounds",
    "survey_responses",
]
# everything but the migration history, for `seed --reset` and the tests
DATA_TABLES = [
    "api_tokens",
    "person_sessions",
    "sign_in_links",
    "answer_tokens",
    "outbox_mails",
    "survey_invitations",
    "contact_persons",
    "survey_schedules",
    "risk_flags",
    "portfolio_trends",
    "portfolio_releases",
    "portfolio_published_periods",
    "project_recompute_state",
    "project_health",
    "project_trends",
    "round_kind_statistics",
    "round_statistics",
    "survey_responses",
    "survey_round_participants",
    "survey_rounds",
    "project_goals",
    "project_invitations",
    "project_partners",
    "project_phase_changes",
    "cooperation_projects",
    "organizations",
]


async def is_empty(connection: asyncpg.Connection) -> bool:
    return not await connection.fetchval("SELECT EXISTS (SELECT 1 FROM organizations)")


async def truncate_all(connection: asyncpg.Connection) -> None:
    await connection.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")


async def load_network(
    connection: asyncpg.Connection, network: Network, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """COPY the whole network into an empty database in one transaction; return rows per table.
    `progress` is called with the number of projects written after each batch."""
    counts = dict.fromkeys(SEEDED_TABLES, 0)
    async with connection.transaction():
        if not await is_empty(connection):
            raise ValueError("the database already holds organizations; seed loads into an empty database")
        org_rows = organization_rows(network)
        await connection.copy_records_to_table("organizations", records=org_rows, columns=COLUMNS["organizations"])
        counts["organizations"] = len(org_rows)
        for batch, n_projects in iter_project_batches(network):
            for table, rows in batch.items():
                if rows:
                    await connection.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                    counts[table] += len(rows)
            if progress:
                progress(n_projects)
        for table in IDENTITY_TABLES:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    await connection.execute("ANALYZE")
    return counts


async def demo_principals(connection: asyncpg.Connection) -> dict[str, asyncpg.Record | None]:
    """Organizations worth a demo token, once the statistics are computed: the startup that a
    SATISFACTION_GAP flag names (it answers surveys and sees its project at risk), and the research
    institute moderating the project most at risk (it sees individual answers). Any startup or moderator
    of an active project when there are no flags yet."""
    member = await connection.fetchrow(
        """
        SELECT o.id, o.kind::text AS kind, o.name FROM organizations o
        JOIN project_partners pp ON pp.organization_id = o.id AND pp.role <> 'MODERATOR'
        JOIN cooperation_projects p ON p.id = pp.project_id AND p.phase = 'ACTIVE'
        LEFT JOIN risk_flags f ON f.project_id = p.id AND f.organization_id = o.id AND f.resolved_at IS NULL
             AND f.reason = 'SATISFACTION_GAP'
        WHERE o.kind = 'STARTUP'
        ORDER BY f.id IS NULL, p.id, o.id LIMIT 1
        """
    )
    moderator = await connection.fetchrow(
        """
        SELECT o.id, o.kind::text AS kind, o.name FROM organizations o
        JOIN project_partners pp ON pp.organization_id = o.id AND pp.role = 'MODERATOR'
        JOIN cooperation_projects p ON p.id = pp.project_id AND p.phase = 'ACTIVE'
        LEFT JOIN project_health h ON h.project_id = p.id
        ORDER BY coalesce(h.risk_rank, 0) DESC, p.id, o.id LIMIT 1
        """
    )
    return {"member": member, "moderator": moderator}


async def insert_small_projects(connection: asyncpg.Connection, count: int, partners: int) -> list[list[int]]:
    """`count` ACTIVE projects (with an exit plan) of `partners` SMEs each, the first one LEAD; returns
    [project id, organization ids…] per project. For benchmarks that need many independent projects."""
    rows = await connection.fetch(
        """
        WITH p AS (
            INSERT INTO cooperation_projects (title, kind, phase, exit_plan)
            SELECT 'Benchmark project ' || i, 'TECHNOLOGY_PILOT', 'ACTIVE', 'agreed' FROM generate_series(0, $1 - 1) i
            RETURNING id
        ), o AS (
            INSERT INTO organizations (kind, name, industry, city, country)
            -- names are unique: numbered past every organization there is, so that calls can repeat
            SELECT 'SME', 'Benchmark partner ' || (SELECT coalesce(max(id), 0) FROM organizations) + i + 1,
                   'Logistics', 'Kiel', 'DE'
            FROM generate_series(0, $1 * $2 - 1) i
            RETURNING id
        ), pairs AS (  -- identity values grow with the rows of one INSERT: number both sides and pair them up
            SELECT p.id AS project_id, o.id AS organization_id, o.n % $2 AS position
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM p) p
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM o) o ON o.n / $2 = p.n
        ), linked AS (
            INSERT INTO project_partners (project_id, organization_id, role)
            SELECT project_id, organization_id, CASE WHEN position = 0 THEN 'LEAD' ELSE 'PARTNER' END::partner_role
            FROM pairs
        )
        SELECT project_id, array_agg(organization_id ORDER BY position) AS organizations
        FROM pairs GROUP BY project_id ORDER BY project_id
        """,
        count,
        partners,
    )
    return [[row["project_id"], *row["organizations"]] for row in rows]
