"""SQL of the cooperation projects aggregate: projects, partners, goals, phases."""

from datetime import date

import asyncpg

COLUMNS = """p.id, p.title, p.summary, p.kind::text AS kind, p.phase::text AS phase, p.phase_changed_at,
    p.started_on, p.planned_end_on, p.exit_plan, p.story, p.published_at, p.created_at, p.updated_at"""
PARTNER_COLUMNS = """pp.project_id, pp.organization_id, pp.role::text AS role, pp.joined_on, pp.left_on,
    pp.publication_approved_at, pp.on_marketplace"""
_ORGANIZATION_PREFIXED = """o.id AS o_id, o.kind::text AS o_kind, o.name AS o_name, o.industry AS o_industry,
    o.city AS o_city, o.country::text AS o_country, o.employees AS o_employees, o.founded_year AS o_founded_year,
    o.competencies AS o_competencies, o.website AS o_website, o.description AS o_description,
    o.funding_stage::text AS o_funding_stage, o.revenue_band::text AS o_revenue_band, o.created_at AS o_created_at"""
# a partner (invitation) row carries its organization's profile (prefixed `o_`): one statement for both
PARTNER_WITH_ORGANIZATION = PARTNER_COLUMNS + ", " + _ORGANIZATION_PREFIXED
INVITATION_WITH_ORGANIZATION = (
    """i.project_id, i.organization_id, i.role::text AS role, i.status::text AS status, i.invited_by,
    i.invited_at, i.answered_at, """
    + _ORGANIZATION_PREFIXED
)
GOAL_COLUMNS = """g.id, g.project_id, g.title, g.owner_organization_id, g.due_on, g.status::text AS status,
    g.created_at, g.updated_at"""

# An organization's projects as a viewer sees them (`pp` is the organization's partner row): admins and the
# project's partners see them all; others a published one only if the organization agreed to appear on the
# marketplace (a non-partner learns of an organization's project only from its marketplace listing).
_VISIBLE_AS_PARTNER = """($1::bool OR (p.published_at IS NOT NULL AND pp.on_marketplace) OR EXISTS (
    SELECT 1 FROM project_partners v WHERE v.project_id = p.id AND v.organization_id = $2))"""


async def projects_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {COLUMNS} FROM cooperation_projects p WHERE p.id = ANY($1::bigint[])", ids)


_LIST_FILTER = """
    ($1::bigint IS NULL OR EXISTS (
        SELECT 1 FROM project_partners m WHERE m.project_id = p.id AND m.organization_id = $1))
    AND ($2::project_phase IS NULL OR p.phase = $2)
    AND ($3::bigint IS NULL OR EXISTS (
        SELECT 1 FROM project_partners f WHERE f.project_id = p.id AND f.organization_id = $3))
    AND ($4::bool IS NULL OR $4 = EXISTS (
        SELECT 1 FROM project_health h WHERE h.project_id = p.id AND 'NONE' <> CASE
            -- as the viewer sees the project: plain partners by the partner risk level (released values only)
            WHEN $1::bigint IS NULL OR EXISTS (
                SELECT 1 FROM project_partners v
                WHERE v.project_id = p.id AND v.organization_id = $1 AND v.role = 'MODERATOR')
            THEN h.risk_level ELSE coalesce(h.partner_risk_level, 'NONE') END))
"""


async def list_projects(
    connection: asyncpg.Connection,
    *,
    member_of: int | None,
    phase: str | None,
    organization_id: int | None,
    at_risk: bool | None,
    after_id: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first. member_of: only projects this organization takes part in (None: all, for admins)."""
    return await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM cooperation_projects p
        WHERE {_LIST_FILTER} AND ($5::bigint IS NULL OR p.id < $5)
        ORDER BY p.id DESC LIMIT $6
        """,
        member_of,
        phase,
        organization_id,
        at_risk,
        after_id,
        limit,
    )


async def count_projects(
    connection: asyncpg.Connection,
    *,
    member_of: int | None,
    phase: str | None,
    organization_id: int | None,
    at_risk: bool | None,
) -> int:
    return await connection.fetchval(
        f"SELECT count(*) FROM cooperation_projects p WHERE {_LIST_FILTER}", member_of, phase, organization_id, at_risk
    )


async def list_marketplace(
    connection: asyncpg.Connection, *, after: tuple[str, int] | None, limit: int
) -> list[asyncpg.Record]:
    """Published success stories, newest first; the keyset is (published_at, id)."""
    return await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM cooperation_projects p
        WHERE p.published_at IS NOT NULL
          AND ($1::timestamptz IS NULL OR (p.published_at, p.id) < ($1, $2))
        ORDER BY p.published_at DESC, p.id DESC LIMIT $3
        """,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def count_marketplace(connection: asyncpg.Connection) -> int:
    return await connection.fetchval("SELECT count(*) FROM cooperation_projects WHERE published_at IS NOT NULL")


async def partners_by_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {PARTNER_WITH_ORGANIZATION} FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
        WHERE pp.project_id = ANY($1::bigint[])
        ORDER BY pp.project_id, pp.role, pp.joined_on, pp.organization_id
        """,
        project_ids,
    )


async def partners_by_keys(connection: asyncpg.Connection, keys: list[tuple[int, int]]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {PARTNER_WITH_ORGANIZATION} FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
        JOIN unnest($1::bigint[], $2::bigint[]) AS k(project_id, organization_id)
          ON k.project_id = pp.project_id AND k.organization_id = pp.organization_id
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )


async def goals_by_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {GOAL_COLUMNS} FROM project_goals g WHERE g.project_id = ANY($1::bigint[])
        ORDER BY g.project_id, g.id
        """,
        project_ids,
    )


async def goals_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {GOAL_COLUMNS} FROM project_goals g WHERE g.id = ANY($1::bigint[])", ids)


async def roles_in_projects(
    connection: asyncpg.Connection, organization_id: int, project_ids: list[int]
) -> list[asyncpg.Record]:
    """The current role of one organization in each of the given projects it takes part in."""
    return await connection.fetch(
        """
        SELECT project_id, role::text AS role FROM project_partners
        WHERE organization_id = $1 AND project_id = ANY($2::bigint[]) AND left_on IS NULL
        """,
        organization_id,
        project_ids,
    )


async def projects_of_organizations(
    connection: asyncpg.Connection,
    organization_ids: list[int],
    *,
    see_all: bool,
    viewer_organization: int | None,
    after_id: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    """A page of projects for each of many organizations in one statement (newest first), restricted to
    what the viewer may see. Each row carries `for_organization`."""
    return await connection.fetch(
        f"""
        SELECT o.id AS for_organization, page.*
        FROM unnest($3::bigint[]) AS o(id)
        CROSS JOIN LATERAL (
            SELECT {COLUMNS} FROM project_partners pp
            JOIN cooperation_projects p ON p.id = pp.project_id
            WHERE pp.organization_id = o.id AND {_VISIBLE_AS_PARTNER} AND ($4::bigint IS NULL OR p.id < $4)
            ORDER BY p.id DESC LIMIT $5
        ) page
        """,
        see_all,
        viewer_organization,
        organization_ids,
        after_id,
        limit,
    )


async def count_projects_of_organizations(
    connection: asyncpg.Connection, organization_ids: list[int], *, see_all: bool, viewer_organization: int | None
) -> list[asyncpg.Record]:
    if see_all:  # every project counts: an index-only count, no visibility join
        return await connection.fetch(
            """
            SELECT organization_id, count(*) AS n FROM project_partners
            WHERE organization_id = ANY($1::bigint[]) GROUP BY organization_id
            """,
            organization_ids,
        )
    return await connection.fetch(
        f"""
        SELECT pp.organization_id, count(*) AS n FROM project_partners pp
        JOIN cooperation_projects p ON p.id = pp.project_id
        WHERE pp.organization_id = ANY($3::bigint[]) AND {_VISIBLE_AS_PARTNER}
        GROUP BY pp.organization_id
        """,
        see_all,
        viewer_organization,
        organization_ids,
    )


# -- writes ------------------------------------------------------------------------------------------------
# Every write that can change what the workers compute bumps data_version in the same transaction.


async def insert_project(
    connection: asyncpg.Connection, *, title: str, summary: str | None, kind: str, planned_end_on: date | None
) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH p AS (
            INSERT INTO cooperation_projects (title, summary, kind, planned_end_on) VALUES ($1, $2, $3, $4)
            RETURNING *
        )
        SELECT {COLUMNS} FROM p
        """,
        title,
        summary,
        kind,
        planned_end_on,
    )
    await connection.execute(
        "INSERT INTO project_phase_changes (project_id, from_phase, to_phase) VALUES ($1, NULL, 'ASSESSMENT')",
        row["id"],
    )
    return row


async def insert_partner(
    connection: asyncpg.Connection, project_id: int, organization_id: int, role: str
) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH pp AS (
            INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3) RETURNING *
        )
        SELECT {PARTNER_WITH_ORGANIZATION} FROM pp JOIN organizations o ON o.id = pp.organization_id
        """,
        project_id,
        organization_id,
        role,
    )
    await bump_data_version(connection, project_id)
    return row


async def insert_invitation(
    connection: asyncpg.Connection, project_id: int, organization_id: int, role: str, invited_by: int | None
) -> asyncpg.Record:
    """A new invitation, or a declined one renewed."""
    return await connection.fetchrow(
        f"""
        WITH i AS (
            INSERT INTO project_invitations (project_id, organization_id, role, invited_by) VALUES ($1, $2, $3, $4)
            ON CONFLICT (project_id, organization_id) DO UPDATE
            SET role = excluded.role, invited_by = excluded.invited_by, status = 'INVITED', invited_at = now(),
                answered_at = NULL
            RETURNING *
        )
        SELECT {INVITATION_WITH_ORGANIZATION} FROM i JOIN organizations o ON o.id = i.organization_id
        """,
        project_id,
        organization_id,
        role,
        invited_by,
    )


async def invitation_statuses(connection: asyncpg.Connection, project_id: int) -> dict[int, tuple[str, str]]:
    """organization id -> (status, role) of the project's invitations."""
    rows = await connection.fetch(
        "SELECT organization_id, status::text AS status, role::text AS role FROM project_invitations "
        "WHERE project_id = $1",
        project_id,
    )
    return {row["organization_id"]: (row["status"], row["role"]) for row in rows}


async def lock_pending_invitation(
    connection: asyncpg.Connection, project_id: int, organization_id: int
) -> asyncpg.Record | None:
    return await connection.fetchrow(
        """
        SELECT project_id, organization_id, role::text AS role FROM project_invitations
        WHERE project_id = $1 AND organization_id = $2 AND status = 'INVITED' FOR UPDATE
        """,
        project_id,
        organization_id,
    )


async def answer_invitation(
    connection: asyncpg.Connection, project_id: int, organization_id: int, status: str
) -> asyncpg.Record:
    return await connection.fetchrow(
        f"""
        WITH i AS (
            UPDATE project_invitations SET status = $3, answered_at = now()
            WHERE project_id = $1 AND organization_id = $2 RETURNING *
        )
        SELECT {INVITATION_WITH_ORGANIZATION} FROM i JOIN organizations o ON o.id = i.organization_id
        """,
        project_id,
        organization_id,
        status,
    )


async def delete_pending_invitation(connection: asyncpg.Connection, project_id: int, organization_id: int) -> None:
    """An admin added the organization directly: its pending invitation is moot."""
    await connection.execute(
        "DELETE FROM project_invitations WHERE project_id = $1 AND organization_id = $2 AND status = 'INVITED'",
        project_id,
        organization_id,
    )


async def invitations_by_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {INVITATION_WITH_ORGANIZATION}
        FROM project_invitations i JOIN organizations o ON o.id = i.organization_id
        WHERE i.project_id = ANY($1::bigint[])
        ORDER BY i.project_id, i.invited_at, i.organization_id
        """,
        project_ids,
    )


async def invitations_by_keys(connection: asyncpg.Connection, keys: list[tuple[int, int]]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {INVITATION_WITH_ORGANIZATION}
        FROM project_invitations i JOIN organizations o ON o.id = i.organization_id
        JOIN unnest($1::bigint[], $2::bigint[]) AS k(project_id, organization_id)
          ON k.project_id = i.project_id AND k.organization_id = i.organization_id
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )


async def pending_invitations_of(connection: asyncpg.Connection, organization_id: int) -> list[asyncpg.Record]:
    """The invitations waiting for one organization's answer, oldest first."""
    return await connection.fetch(
        f"""
        SELECT {INVITATION_WITH_ORGANIZATION}
        FROM project_invitations i JOIN organizations o ON o.id = i.organization_id
        WHERE i.organization_id = $1 AND i.status = 'INVITED'
        ORDER BY i.invited_at, i.project_id LIMIT 500
        """,
        organization_id,
    )


async def publication_approvals(connection: asyncpg.Connection, project_id: int) -> dict[int, bool]:
    """Current partner -> whether it approved publishing the project."""
    rows = await connection.fetch(
        "SELECT organization_id, publication_approved_at IS NOT NULL AS approved FROM project_partners "
        "WHERE project_id = $1 AND left_on IS NULL",
        project_id,
    )
    return {row["organization_id"]: row["approved"] for row in rows}


async def approve_publication(
    connection: asyncpg.Connection, project_id: int, organization_id: int, on_marketplace: bool
) -> asyncpg.Record:
    return await connection.fetchrow(
        f"""
        WITH pp AS (
            UPDATE project_partners
            SET publication_approved_at = coalesce(publication_approved_at, now()), on_marketplace = $3
            WHERE project_id = $1 AND organization_id = $2 RETURNING *
        )
        SELECT {PARTNER_WITH_ORGANIZATION} FROM pp JOIN organizations o ON o.id = pp.organization_id
        """,
        project_id,
        organization_id,
        on_marketplace,
    )


async def lock_project(connection: asyncpg.Connection, project_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"SELECT {COLUMNS} FROM cooperation_projects p WHERE p.id = $1 FOR UPDATE", project_id
    )


async def partner_roles(connection: asyncpg.Connection, project_id: int) -> dict[int, str]:
    rows = await connection.fetch(
        "SELECT organization_id, role::text AS role FROM project_partners WHERE project_id = $1 AND left_on IS NULL",
        project_id,
    )
    return {row["organization_id"]: row["role"] for row in rows}


async def change_phase(
    connection: asyncpg.Connection, project_id: int, from_phase: str, to_phase: str
) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH p AS (
            UPDATE cooperation_projects
            SET phase = $2, phase_changed_at = now(), updated_at = now(), data_version = data_version + 1
            WHERE id = $1 RETURNING *
        )
        SELECT {COLUMNS} FROM p
        """,
        project_id,
        to_phase,
    )
    await connection.execute(
        "INSERT INTO project_phase_changes (project_id, from_phase, to_phase) VALUES ($1, $2, $3)",
        project_id,
        from_phase,
        to_phase,
    )
    if to_phase in ("COMPLETED", "TERMINATED"):
        # an ended project takes no more answers
        await connection.execute(
            "UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE project_id = $1 AND status = 'OPEN'",
            project_id,
        )
    return row


async def set_exit_plan(connection: asyncpg.Connection, project_id: int, exit_plan: str | None) -> asyncpg.Record:
    return await connection.fetchrow(
        f"""
        WITH p AS (
            UPDATE cooperation_projects SET exit_plan = $2, updated_at = now(), data_version = data_version + 1
            WHERE id = $1 RETURNING *
        )
        SELECT {COLUMNS} FROM p
        """,
        project_id,
        exit_plan,
    )


async def publish(connection: asyncpg.Connection, project_id: int, story: str) -> asyncpg.Record:
    return await connection.fetchrow(
        f"""
        WITH p AS (
            UPDATE cooperation_projects
            SET story = $2, published_at = coalesce(published_at, now()), updated_at = now()
            WHERE id = $1 RETURNING *
        )
        SELECT {COLUMNS} FROM p
        """,
        project_id,
        story,
    )


async def insert_goal(
    connection: asyncpg.Connection, project_id: int, title: str, owner_organization_id: int, due_on: date | None
) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH g AS (
            INSERT INTO project_goals (project_id, title, owner_organization_id, due_on) VALUES ($1, $2, $3, $4)
            RETURNING *
        )
        SELECT {GOAL_COLUMNS} FROM g
        """,
        project_id,
        title,
        owner_organization_id,
        due_on,
    )
    await bump_data_version(connection, project_id)
    return row


async def lock_goal(connection: asyncpg.Connection, goal_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(f"SELECT {GOAL_COLUMNS} FROM project_goals g WHERE g.id = $1 FOR UPDATE", goal_id)


async def update_goal_status(connection: asyncpg.Connection, goal_id: int, status: str) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH g AS (UPDATE project_goals SET status = $2, updated_at = now() WHERE id = $1 RETURNING *)
        SELECT {GOAL_COLUMNS} FROM g
        """,
        goal_id,
        status,
    )
    await bump_data_version(connection, row["project_id"])
    return row


async def bump_data_version(connection: asyncpg.Connection, project_id: int) -> None:
    await connection.execute(
        "UPDATE cooperation_projects SET data_version = data_version + 1, updated_at = now() WHERE id = $1",
        project_id,
    )
