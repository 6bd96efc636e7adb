"""SQL of the organizations aggregate."""

from typing import Any

import asyncpg

COLUMNS = """o.id, o.kind::text AS kind, o.name, o.industry, o.city, o.country::text AS country, o.employees,
    o.founded_year, o.competencies, o.website, o.description, o.funding_stage::text AS funding_stage,
    o.revenue_band::text AS revenue_band, o.created_at, o.updated_at"""

# the unique index of migration 0011: names compared without case and whitespace
NAME_INDEX = "organizations_normalized_name_idx"


def name_taken(error: asyncpg.UniqueViolationError) -> bool:
    return error.constraint_name == NAME_INDEX


# columns a mutation may set; anything else is refused before SQL is built
WRITABLE = (
    "kind", "name", "industry", "city", "country", "employees", "founded_year", "competencies", "website",
    "description", "funding_stage", "revenue_band",
)  # fmt: skip

_FILTER = """
    ($1::organization_kind IS NULL OR o.kind = $1)
    AND ($2::text IS NULL OR o.industry = $2)
    AND ($3::text IS NULL OR o.name ILIKE '%' || $3 || '%')
"""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def organization_kind(connection: asyncpg.Connection, organization_id: int) -> str | None:
    return await connection.fetchval("SELECT kind::text FROM organizations WHERE id = $1", organization_id)


async def organizations_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {COLUMNS} FROM organizations o WHERE o.id = ANY($1::bigint[])", ids)


async def list_organizations(
    connection: asyncpg.Connection,
    *,
    kind: str | None,
    industry: str | None,
    search: str | None,
    after: tuple[str, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """One page of the directory, ordered by (name, id), starting after the keyset `after`."""
    return await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM organizations o
        WHERE {_FILTER} AND ($4::text IS NULL OR (o.name, o.id) > ($4, $5))
        ORDER BY o.name, o.id
        LIMIT $6
        """,
        kind,
        industry,
        _escape_like(search) if search else None,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def count_organizations(
    connection: asyncpg.Connection, *, kind: str | None, industry: str | None, search: str | None
) -> int:
    return await connection.fetchval(
        f"SELECT count(*) FROM organizations o WHERE {_FILTER}",
        kind,
        industry,
        _escape_like(search) if search else None,
    )


async def insert_organization(connection: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record:
    columns = [column for column in WRITABLE if column in values]
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await connection.fetchrow(
        f"""
        WITH o AS (INSERT INTO organizations ({", ".join(columns)}) VALUES ({placeholders}) RETURNING *)
        SELECT {COLUMNS} FROM o
        """,
        *(values[column] for column in columns),
    )


async def update_organization(
    connection: asyncpg.Connection, organization_id: int, changes: dict[str, Any]
) -> asyncpg.Record | None:
    columns = [column for column in WRITABLE if column in changes]
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    return await connection.fetchrow(
        f"""
        WITH o AS (
            UPDATE organizations SET {assignments}{", " if assignments else ""}updated_at = now()
            WHERE id = $1 RETURNING *
        )
        SELECT {COLUMNS} FROM o
        """,
        organization_id,
        *(changes[column] for column in columns),
    )


async def lock_organization(connection: asyncpg.Connection, organization_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"SELECT {COLUMNS} FROM organizations o WHERE o.id = $1 FOR UPDATE", organization_id
    )
