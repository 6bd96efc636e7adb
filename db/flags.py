"""SQL of risk flags: idempotent sync of a project's open flags with the rules that hold."""

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

COLUMNS = """f.id, f.project_id, f.audience::text AS audience, f.organization_id, f.reason::text AS reason,
    f.severity::text AS severity, f.explanations, f.evidence, f.raised_at,
    f.resolved_at, f.acknowledged_at, f.acknowledgement_note, f.updated_at"""


# A partner's flags are numbered per project in a block of ids of their own, far above the full flags' sequence:
# their ids count only that project's flags computed from released values (one sequence would tell a partner
# that hidden flags, or flags of other projects, were raised between two of its own).
PARTNER_IDS = 10**15
PARTNER_IDS_PER_PROJECT = 1 << 20


async def next_partner_ids(connection: asyncpg.Connection, project_ids: list[int]) -> dict[int, int]:
    """project id -> the id its next partner flag gets (callers hold the project's recomputation lock). One
    grouped read: a correlated max() per inserted row degenerates into a scan of the table per row when the
    planner still believes the table empty (after a bulk load)."""
    rows = await connection.fetch(
        """
        SELECT project_id, max(id) AS last FROM risk_flags
        WHERE audience = 'PARTNERS' AND project_id = ANY($1::bigint[]) GROUP BY project_id
        """,
        project_ids,
    )
    last = {row["project_id"]: row["last"] for row in rows}
    return {p: 1 + last.get(p, PARTNER_IDS + p * PARTNER_IDS_PER_PROJECT) for p in project_ids}


@dataclass(frozen=True)
class DesiredFlag:
    audience: str  # FULL: moderators and admins; PARTNERS: plain partners (computed from released values)
    reason: str
    organization_id: int | None
    severity: str
    explanations: dict[str, str]  # language -> the explanation in it ("en" always)
    evidence: dict[str, Any]

    def differs_from(self, current: asyncpg.Record) -> bool:
        """Whether the stored open flag `current` needs an update to say what this one says."""
        stored = (current["severity"], current["explanations"], current["evidence"])
        wanted = (self.severity, self.explanations, json.loads(json.dumps(self.evidence)))
        return stored != wanted


@dataclass(frozen=True)
class FlagChange:
    flag_id: int
    project_id: int
    change: str  # RAISED | UPDATED | RESOLVED | ACKNOWLEDGED


async def flags_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {COLUMNS} FROM risk_flags f WHERE f.id = ANY($1::bigint[])", ids)


async def flags_by_projects(
    connection: asyncpg.Connection, project_ids: list[int], include_resolved: bool
) -> list[asyncpg.Record]:
    """Most severe first, then newest."""
    return await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM risk_flags f
        WHERE f.project_id = ANY($1::bigint[]) AND ($2 OR f.resolved_at IS NULL)
        ORDER BY f.project_id, f.resolved_at IS NOT NULL, f.severity DESC, f.raised_at DESC, f.id DESC
        """,
        project_ids,
        include_resolved,
    )


async def lock_flag(connection: asyncpg.Connection, flag_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(f"SELECT {COLUMNS} FROM risk_flags f WHERE f.id = $1 FOR UPDATE", flag_id)


async def acknowledge(
    connection: asyncpg.Connection, flag_id: int, token_id: int | None, note: str | None = None
) -> asyncpg.Record:
    """The first acknowledgement's time and token stay; a note given later replaces the one before."""
    return await connection.fetchrow(
        f"""
        WITH f AS (
            UPDATE risk_flags SET acknowledged_at = coalesce(acknowledged_at, now()),
                acknowledged_by = coalesce(acknowledged_by, $2), updated_at = now(),
                acknowledgement_note = coalesce($3, acknowledgement_note)
            WHERE id = $1 RETURNING *
        )
        SELECT {COLUMNS} FROM f
        """,
        flag_id,
        token_id,
        note,
    )


async def sync_all_flags(
    connection: asyncpg.Connection, desired: dict[int, list[DesiredFlag]], project_ids: list[int]
) -> list[FlagChange]:
    """Raise what newly holds, update what still holds, resolve (keep in history) what stopped holding, for
    one project (its job) or many (the bulk recomputation) in a few set-based statements; projects in
    `project_ids` without desired flags get their open flags resolved."""
    open_flags = {
        (row["project_id"], row["audience"], row["reason"], row["organization_id"]): row
        for row in await connection.fetch(
            f"""
            SELECT {COLUMNS} FROM risk_flags f
            WHERE f.resolved_at IS NULL AND f.project_id = ANY($1::bigint[]) FOR UPDATE
            """,
            project_ids,
        )
    }
    new: list[tuple[int, DesiredFlag]] = []
    changed: list[tuple[int, DesiredFlag]] = []
    for project_id, flags in desired.items():
        for flag in flags:
            current = open_flags.pop((project_id, flag.audience, flag.reason, flag.organization_id), None)
            if current is None:
                new.append((project_id, flag))
            elif flag.differs_from(current):
                changed.append((current["id"], flag))
    changes: list[FlagChange] = []
    if new:
        next_id = await next_partner_ids(connection, sorted({p for p, f in new if f.audience == "PARTNERS"}))
        ids: list[int | None] = []
        for project_id, flag in new:
            if flag.audience == "PARTNERS":
                ids.append(next_id[project_id])
                next_id[project_id] += 1
            else:
                ids.append(None)
        rows = await connection.fetch(
            """
            INSERT INTO risk_flags (id, project_id, organization_id, reason, severity, explanations, evidence, audience)
            SELECT coalesce(n.id, nextval(pg_get_serial_sequence('risk_flags', 'id'))), n.project_id,
                   n.organization_id, n.reason, n.severity, n.explanations, n.evidence, n.audience
            FROM unnest($1::bigint[], $2::bigint[], $3::risk_reason[], $4::severity[], $5::jsonb[], $6::jsonb[],
                        $7::flag_audience[], $8::bigint[])
                 AS n(project_id, organization_id, reason, severity, explanations, evidence, audience, id)
            RETURNING id, project_id
            """,
            [p for p, _ in new],
            [f.organization_id for _, f in new],
            [f.reason for _, f in new],
            [f.severity for _, f in new],
            [f.explanations for _, f in new],
            [f.evidence for _, f in new],
            [f.audience for _, f in new],
            ids,
        )
        changes += [FlagChange(row["id"], row["project_id"], "RAISED") for row in rows]
    if changed:
        rows = await connection.fetch(
            """
            UPDATE risk_flags f SET severity = c.severity, explanations = c.explanations, evidence = c.evidence,
                updated_at = now()
            FROM unnest($1::bigint[], $2::severity[], $3::jsonb[], $4::jsonb[])
                 AS c(id, severity, explanations, evidence)
            WHERE f.id = c.id
            RETURNING f.id, f.project_id
            """,
            [i for i, _ in changed],
            [f.severity for _, f in changed],
            [f.explanations for _, f in changed],
            [f.evidence for _, f in changed],
        )
        changes += [FlagChange(row["id"], row["project_id"], "UPDATED") for row in rows]
    if open_flags:
        rows = await connection.fetch(
            """
            UPDATE risk_flags SET resolved_at = now(), updated_at = now() WHERE id = ANY($1::bigint[])
            RETURNING id, project_id
            """,
            [row["id"] for row in open_flags.values()],
        )
        changes += [FlagChange(row["id"], row["project_id"], "RESOLVED") for row in rows]
    return changes


async def changed_since(connection: asyncpg.Connection, since: object, limit: int = 1000) -> list[asyncpg.Record]:
    """Flags raised, resolved or acknowledged from `since` on (the latest `limit`), each with the latest of
    those changes, oldest first."""
    rows = await connection.fetch(
        """
        SELECT id, project_id,
               CASE WHEN resolved_at >= $1 THEN 'RESOLVED' WHEN acknowledged_at >= $1 THEN 'ACKNOWLEDGED'
                    ELSE 'RAISED' END AS change
        FROM risk_flags
        WHERE raised_at >= $1 OR resolved_at >= $1 OR acknowledged_at >= $1
        ORDER BY id DESC LIMIT $2
        """,
        since,
        limit,
    )
    return rows[::-1]


async def open_flag_counts(connection: asyncpg.Connection) -> dict[str, int]:
    """Open flags per severity (for metrics): the partners' versions, computed from released values only —
    /metrics may be scraped without a token, and the full flags move with every single answer."""
    rows = await connection.fetch(
        "SELECT severity::text AS severity, count(*) AS n FROM risk_flags"
        " WHERE resolved_at IS NULL AND audience = 'PARTNERS' GROUP BY severity"
    )
    return {row["severity"]: row["n"] for row in rows}
