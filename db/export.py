"""SQL of `partnerpulse export`: the survey rounds of many projects at once, with what the API shows of each
(its live counts and its stored statistics), and the answers of many rounds, one statement each."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg


@asynccontextmanager
async def snapshot(connection: asyncpg.Connection, *others: asyncpg.Connection) -> AsyncIterator[None]:
    """One read-only repeatable-read transaction on `connection` and the same snapshot on each of `others`
    (pg_export_snapshot): statements on all of them see the database as it was when the export began. Without
    JIT: the page statements are costed high enough to be compiled, which took half their time."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(connection.transaction(isolation="repeatable_read", readonly=True))
        await connection.execute("SET LOCAL jit = off")
        exported = await connection.fetchval("SELECT pg_export_snapshot()") if others else None
        for other in others:
            await stack.enter_async_context(other.transaction(isolation="repeatable_read", readonly=True))
            await other.execute(f"SET TRANSACTION SNAPSHOT '{exported}'; SET LOCAL jit = off")
        yield


# the round's own columns (db.surveys.ROUND_COLUMNS), its live counts (db.surveys.round_counts) and its stored
# statistics (db.statistics.STAT_COLUMNS; `has_statistics` false when the workers have not written any yet)
_ROUND_EXPORT = """
    SELECT r.project_id, r.id, r.sequence, r.status::text AS status, r.opened_at, r.closed_at,
           (SELECT count(*) FROM survey_responses s WHERE s.round_id = r.id) AS responses,
           (SELECT count(*) FROM survey_round_participants q WHERE q.round_id = r.id) AS expected,
           st.round_id IS NOT NULL AS has_statistics, st.response_count AS statistics_count,
           r.status = 'CLOSED' AS closed, st.mean_overall, st.mean_expectations_met, st.mean_mutual_benefit,
           st.mean_decision_speed, st.mean_communication_trust
    FROM unnest($1::bigint[]) WITH ORDINALITY AS p(id, position)
    CROSS JOIN LATERAL (
        SELECT * FROM survey_rounds r WHERE r.project_id = p.id ORDER BY r.sequence DESC LIMIT $2
    ) r
    LEFT JOIN round_statistics st ON st.round_id = r.id
    ORDER BY p.position, r.sequence
"""


async def rounds_for_export(
    connection: asyncpg.Connection, project_ids: list[int], latest: int
) -> list[asyncpg.Record]:
    """The latest `latest` rounds of each project, in the order of `project_ids`, each project's oldest first:
    the round, its answers and expected answers now, and its stored statistics (null columns without)."""
    return await connection.fetch(_ROUND_EXPORT, project_ids, latest)


async def answers_for_export(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    """Every answer of the rounds with its organization's name and kind, per round in the order the API lists
    them (db.surveys.responses_by_rounds)."""
    return await connection.fetch(
        """
        SELECT s.round_id, o.name AS organization, o.kind::text AS organization_kind, s.overall,
               s.expectations_met, s.mutual_benefit, s.decision_speed, s.communication_trust,
               s.continue_likelihood, s.comment, s.submitted_at
        FROM survey_responses s JOIN organizations o ON o.id = s.organization_id
        WHERE s.round_id = ANY($1::bigint[])
        ORDER BY s.round_id, s.submitted_at, s.id
        """,
        round_ids,
    )
