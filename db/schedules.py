"""SQL of survey schedules: the cadence of a project's rounds."""

import asyncpg

# when the next round is due: every_weeks after the last round opened, at once when there was none
NEXT_ROUND_AT = """coalesce(
    (SELECT max(r.opened_at) FROM survey_rounds r WHERE r.project_id = s.project_id)
        + make_interval(weeks => s.every_weeks),
    s.updated_at
)"""
COLUMNS = f"s.project_id, s.every_weeks, s.answer_window_days, {NEXT_ROUND_AT} AS next_round_at"


async def set_schedule(
    connection: asyncpg.Connection, project_id: int, every_weeks: int, answer_window_days: int
) -> asyncpg.Record:
    await connection.execute(
        """
        INSERT INTO survey_schedules (project_id, every_weeks, answer_window_days) VALUES ($1, $2, $3)
        ON CONFLICT (project_id) DO UPDATE SET every_weeks = $2, answer_window_days = $3, updated_at = now()
        """,
        project_id,
        every_weeks,
        answer_window_days,
    )
    return await connection.fetchrow(f"SELECT {COLUMNS} FROM survey_schedules s WHERE s.project_id = $1", project_id)


async def remove_schedule(connection: asyncpg.Connection, project_id: int) -> bool:
    return await connection.execute("DELETE FROM survey_schedules WHERE project_id = $1", project_id) == "DELETE 1"


async def schedules_by_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"SELECT {COLUMNS} FROM survey_schedules s WHERE s.project_id = ANY($1::bigint[])", project_ids
    )


_DUE_TO_OPEN = f"""
    SELECT s.project_id FROM survey_schedules s JOIN cooperation_projects p ON p.id = s.project_id
    WHERE p.phase = 'ACTIVE' AND {NEXT_ROUND_AT} <= now()
      AND NOT EXISTS (SELECT 1 FROM survey_rounds r WHERE r.project_id = s.project_id AND r.status = 'OPEN')
"""


async def projects_due_to_open(connection: asyncpg.Connection) -> list[int]:
    return [row["project_id"] for row in await connection.fetch(_DUE_TO_OPEN + " ORDER BY s.project_id")]


async def still_due_to_open(connection: asyncpg.Connection, project_id: int) -> bool:
    """Checked again under the project's lock: another worker may have opened the round meanwhile."""
    return bool(await connection.fetchval(f"SELECT EXISTS ({_DUE_TO_OPEN} AND s.project_id = $1)", project_id))


async def rounds_due_to_close(connection: asyncpg.Connection) -> list[int]:
    rows = await connection.fetch(
        """
        SELECT r.id FROM survey_rounds r JOIN survey_schedules s ON s.project_id = r.project_id
        WHERE r.status = 'OPEN' AND r.opened_at + make_interval(days => s.answer_window_days) <= now()
        ORDER BY r.id
        """
    )
    return [row["id"] for row in rows]
