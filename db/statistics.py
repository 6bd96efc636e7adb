"""Reads of the derived statistics: per round, per kind, health, trends and the at-risk list (the workers
write them: db/recompute.py, db/bulk.py)."""

import asyncpg

STAT_COLUMNS = """s.round_id, s.project_id, s.sequence, s.response_count, s.expected_count,
    (SELECT r.status = 'CLOSED' FROM survey_rounds r WHERE r.id = s.round_id) AS closed, s.mean_overall,
    s.mean_expectations_met, s.mean_mutual_benefit, s.mean_decision_speed, s.mean_communication_trust, s.nps,
    s.computed_at"""


async def latest_statistics(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    """Per project, the statistics of the latest round with answers."""
    return await connection.fetch(
        f"""
        SELECT DISTINCT ON (s.project_id) {STAT_COLUMNS} FROM round_statistics s
        WHERE s.project_id = ANY($1::bigint[]) AND s.response_count > 0
        ORDER BY s.project_id, s.sequence DESC
        """,
        project_ids,
    )


async def latest_released_statistics(
    connection: asyncpg.Connection, project_ids: list[int], min_group_size: int
) -> list[asyncpg.Record]:
    """Per project, what plain partners see as the latest statistics: the latest released round (closed, with
    at least `min_group_size` answers), else the latest round with answers (whose numbers stay withheld)."""
    return await connection.fetch(
        f"""
        SELECT DISTINCT ON (s.project_id) {STAT_COLUMNS} FROM round_statistics s
        JOIN survey_rounds r ON r.id = s.round_id
        WHERE s.project_id = ANY($1::bigint[]) AND s.response_count > 0
        ORDER BY s.project_id, (r.status = 'CLOSED' AND s.response_count >= $2) DESC, s.sequence DESC
        """,
        project_ids,
        min_group_size,
    )


async def recent_statistics(connection: asyncpg.Connection, project_ids: list[int], last: int) -> list[asyncpg.Record]:
    """Per project, the statistics of its last `last` rounds, oldest first."""
    return await connection.fetch(
        f"""
        SELECT page.* FROM unnest($1::bigint[]) AS p(id)
        CROSS JOIN LATERAL (
            SELECT * FROM (
                SELECT {STAT_COLUMNS} FROM round_statistics s WHERE s.project_id = p.id
                ORDER BY s.sequence DESC LIMIT $2
            ) latest ORDER BY sequence
        ) page
        """,
        project_ids,
        last,
    )


async def kind_statistics(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT round_id, organization_kind::text AS kind, response_count, mean_overall, mean_expectations_met,
               mean_mutual_benefit, mean_decision_speed, mean_communication_trust
        FROM round_kind_statistics WHERE round_id = ANY($1::bigint[]) ORDER BY round_id, organization_kind
        """,
        round_ids,
    )


async def health_of_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT h.project_id, h.score, h.risk_level::text AS risk_level, h.partner_score,
               h.partner_risk_level::text AS partner_risk_level, h.computed_at,
               (s.computed_version >= p.data_version) AS up_to_date
        FROM project_health h
        JOIN cooperation_projects p ON p.id = h.project_id
        LEFT JOIN project_recompute_state s ON s.project_id = h.project_id
        WHERE h.project_id = ANY($1::bigint[])
        """,
        project_ids,
    )


async def trends_of_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT project_id, dimension::text AS dimension, slope, smoothed, rounds_used
        FROM project_trends WHERE project_id = ANY($1::bigint[])
        """,
        project_ids,
    )


# The at-risk list as the viewer sees each project ($1: the viewer's organization, null for admins): admins
# and the project's moderators by the full risk level and rank, plain partners by the partner versions
# computed from released values only. Two statements, not one union: behind a union the admins' list could
# not use project_health's index (risk_rank DESC, project_id DESC) and sorted all 72,000 rows of the
# benchmark network for every dashboard (20 ms of PostgreSQL per request).
_ADMIN_VIEW = """
    SELECT h.project_id, h.risk_level AS level, h.risk_rank AS rank FROM project_health h
    WHERE $1::bigint IS NULL
"""
_MEMBER_VIEW = """
    SELECT h.project_id,
           CASE WHEN m.role = 'MODERATOR' THEN h.risk_level ELSE coalesce(h.partner_risk_level, 'NONE') END AS level,
           CASE WHEN m.role = 'MODERATOR' THEN h.risk_rank ELSE coalesce(h.partner_risk_rank, 0) END AS rank
    FROM project_partners m JOIN project_health h ON h.project_id = m.project_id
    WHERE $1::bigint IS NOT NULL AND m.organization_id = $1
"""


def _at_risk_view(member_of: int | None) -> str:
    return _ADMIN_VIEW if member_of is None else _MEMBER_VIEW


async def at_risk_projects(
    connection: asyncpg.Connection,
    *,
    member_of: int | None,
    min_level: str,
    after: tuple[float, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Projects with an open flag of at least `min_level`, most severe first (keyset: risk_rank, id), each as
    the viewer sees it."""
    from db.projects import COLUMNS

    return await connection.fetch(
        f"""
        SELECT {COLUMNS}, v.rank AS risk_rank FROM ({_at_risk_view(member_of)}) v
        JOIN cooperation_projects p ON p.id = v.project_id
        WHERE v.level <> 'NONE' AND v.level >= $2::risk_level
          AND ($3::float8 IS NULL OR (v.rank, v.project_id) < ($3, $4))
        ORDER BY v.rank DESC, v.project_id DESC
        LIMIT $5
        """,
        member_of,
        min_level,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def count_at_risk_projects(connection: asyncpg.Connection, *, member_of: int | None, min_level: str) -> int:
    return await connection.fetchval(
        f"SELECT count(*) FROM ({_at_risk_view(member_of)}) v WHERE v.level <> 'NONE' AND v.level >= $2::risk_level",
        member_of,
        min_level,
    )
