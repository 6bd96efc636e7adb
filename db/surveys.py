"""SQL of survey rounds and (confidential) survey responses."""

from collections.abc import Sequence
from typing import Any

import asyncpg

from db.projects import bump_data_version

ROUND_COLUMNS = """r.id, r.project_id, r.sequence, r.status::text AS status, r.opened_at, r.closed_at"""
RESPONSE_COLUMNS = """s.id, s.round_id, s.organization_id, s.overall, s.expectations_met, s.mutual_benefit,
    s.decision_speed, s.communication_trust, s.continue_likelihood, s.comment, s.idempotency_key, s.submitted_at"""
SCORES = (
    "overall", "expectations_met", "mutual_benefit", "decision_speed", "communication_trust", "continue_likelihood",
)  # fmt: skip


async def rounds_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {ROUND_COLUMNS} FROM survey_rounds r WHERE r.id = ANY($1::bigint[])", ids)


async def rounds_of_projects(
    connection: asyncpg.Connection, project_ids: list[int], *, before_sequence: int | None, limit: int
) -> list[asyncpg.Record]:
    """A page of rounds for each project (newest first), in one statement."""
    return await connection.fetch(
        f"""
        SELECT page.* FROM unnest($1::bigint[]) AS p(id)
        CROSS JOIN LATERAL (
            SELECT {ROUND_COLUMNS} FROM survey_rounds r
            WHERE r.project_id = p.id AND ($2::int IS NULL OR r.sequence < $2)
            ORDER BY r.sequence DESC LIMIT $3
        ) page
        """,
        project_ids,
        before_sequence,
        limit,
    )


async def round_counts(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    """Answers and expected answers of each round, live."""
    return await connection.fetch(
        """
        SELECT r.id,
               (SELECT count(*) FROM survey_responses s WHERE s.round_id = r.id) AS responses,
               (SELECT count(*) FROM survey_round_participants p WHERE p.round_id = r.id) AS expected
        FROM survey_rounds r WHERE r.id = ANY($1::bigint[])
        """,
        round_ids,
    )


async def responses_of_organization(
    connection: asyncpg.Connection, organization_id: int, round_ids: list[int]
) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {RESPONSE_COLUMNS} FROM survey_responses s
        WHERE s.organization_id = $1 AND s.round_id = ANY($2::bigint[])
        """,
        organization_id,
        round_ids,
    )


async def responses_of_organization_batch(
    organization_id: int, connection: asyncpg.Connection, round_ids: list[int]
) -> list[asyncpg.Record]:
    return await responses_of_organization(connection, organization_id, round_ids)


async def responses_by_rounds(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {RESPONSE_COLUMNS} FROM survey_responses s WHERE s.round_id = ANY($1::bigint[])
        ORDER BY s.round_id, s.submitted_at, s.id
        """,
        round_ids,
    )


async def responses_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"SELECT {RESPONSE_COLUMNS} FROM survey_responses s WHERE s.id = ANY($1::bigint[])", ids
    )


# -- writes ------------------------------------------------------------------------------------------------


async def open_round(connection: asyncpg.Connection, project_id: int, answering_roles: Sequence[str]) -> asyncpg.Record:
    """Open the next round; the current partners in `answering_roles` are the ones expected to answer."""
    row = await connection.fetchrow(
        f"""
        WITH r AS (
            INSERT INTO survey_rounds (project_id, sequence)
            SELECT $1, coalesce(max(sequence), 0) + 1 FROM survey_rounds WHERE project_id = $1
            RETURNING *
        )
        SELECT {ROUND_COLUMNS} FROM r
        """,
        project_id,
    )
    await connection.execute(
        """
        INSERT INTO survey_round_participants (round_id, organization_id)
        SELECT $1, organization_id FROM project_partners
        WHERE project_id = $2 AND role = ANY($3::partner_role[]) AND left_on IS NULL
        """,
        row["id"],
        project_id,
        list(answering_roles),
    )
    await bump_data_version(connection, project_id)
    return row


async def has_open_round(connection: asyncpg.Connection, project_id: int) -> bool:
    return await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM survey_rounds WHERE project_id = $1 AND status = 'OPEN')", project_id
    )


async def lock_round(connection: asyncpg.Connection, round_id: int, *, exclusive: bool) -> asyncpg.Record | None:
    """FOR UPDATE to close it; FOR SHARE to answer it (answers may come in parallel, closing waits for them)."""
    mode = "UPDATE" if exclusive else "SHARE"
    return await connection.fetchrow(
        f"SELECT {ROUND_COLUMNS} FROM survey_rounds r WHERE r.id = $1 FOR {mode}", round_id
    )


async def close_round(connection: asyncpg.Connection, round_id: int) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        WITH r AS (
            UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE id = $1 RETURNING *
        )
        SELECT {ROUND_COLUMNS} FROM r
        """,
        round_id,
    )
    await bump_data_version(connection, row["project_id"])
    return row


async def response_by_key(
    connection: asyncpg.Connection, organization_id: int, idempotency_key: str
) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"SELECT {RESPONSE_COLUMNS} FROM survey_responses s WHERE s.organization_id = $1 AND s.idempotency_key = $2",
        organization_id,
        idempotency_key,
    )


async def insert_response(
    connection: asyncpg.Connection, round_id: int, organization_id: int, values: dict[str, Any]
) -> asyncpg.Record | None:
    """The new response, or None when the organization already answered the round or used the key. A stored
    response bumps its project's data version in the same statement: statistics that do not reflect it are
    stale and are recomputed (by the job asked for, or else by the reconciler). The answer keeps the kind its
    organization has now: a round's per-kind means are computed from it (SECURITY.md, rule 5)."""
    return await connection.fetchrow(
        f"""
        WITH s AS (
            INSERT INTO survey_responses (
                round_id, organization_id, organization_kind, {", ".join(SCORES)}, comment, idempotency_key
            )
            SELECT $1, $2, o.kind, $3, $4, $5, $6, $7, $8, $9, $10 FROM organizations o WHERE o.id = $2
            ON CONFLICT DO NOTHING
            RETURNING *
        ), bumped AS (
            UPDATE cooperation_projects p SET data_version = p.data_version + 1, updated_at = now()
            FROM survey_rounds r
            WHERE r.id = $1 AND p.id = r.project_id AND EXISTS (SELECT 1 FROM s)
        )
        SELECT {RESPONSE_COLUMNS} FROM s
        """,
        round_id,
        organization_id,
        *(values[score] for score in SCORES),
        values.get("comment"),
        values.get("idempotency_key"),
    )
