"""SQL of the organizations aggregate."""

import asyncpg


async def organization_kind(connection: asyncpg.Connection, organization_id: int) -> str | None:
    return await connection.fetchval("SELECT kind::text FROM organizations WHERE id = $1", organization_id)
