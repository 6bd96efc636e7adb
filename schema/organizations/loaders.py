"""DataLoaders of the organizations slice: one SQL statement per batch."""

from collections.abc import Sequence

import asyncpg

from db import organizations


def organization_loader(pool: asyncpg.Pool):
    async def load(ids: Sequence[int]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await organizations.organizations_by_ids(connection, list(ids))
        by_id = {row["id"]: row for row in rows}
        return [by_id.get(i) for i in ids]

    return load
