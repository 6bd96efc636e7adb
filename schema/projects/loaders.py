"""DataLoaders of the projects slice: one SQL statement per batch, whatever the page size."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from api.auth import Principal
from db import projects

Batch = Callable[[Sequence], Awaitable[list]]


def by_id(pool: asyncpg.Pool, fetch: Callable[[asyncpg.Connection, list[int]], Awaitable[list]]) -> Batch:
    async def load(ids: Sequence[int]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await fetch(connection, list(ids))
        found = {row["id"]: row for row in rows}
        return [found.get(i) for i in ids]

    return load


def grouped_by_project(pool: asyncpg.Pool, fetch: Callable[[asyncpg.Connection, list[int]], Awaitable[list]]) -> Batch:
    async def load(ids: Sequence[int]) -> list[list[asyncpg.Record]]:
        async with pool.acquire() as connection:
            rows = await fetch(connection, list(ids))
        groups: dict[int, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            groups[row["project_id"]].append(row)
        return [groups.get(i, []) for i in ids]

    return load


def partner_loader(pool: asyncpg.Pool) -> Batch:
    async def load(keys: Sequence[tuple[int, int]]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await projects.partners_by_keys(connection, list(keys))
        found = {(row["project_id"], row["organization_id"]): row for row in rows}
        return [found.get(key) for key in keys]

    return load


def viewer_role_loader(pool: asyncpg.Pool, principal: Principal) -> Batch:
    """The viewer organization's current role in each project (None: not a partner)."""

    async def load(project_ids: Sequence[int]) -> list[str | None]:
        if principal.organization_id is None:
            return [None] * len(project_ids)
        async with pool.acquire() as connection:
            rows = await projects.roles_in_projects(connection, principal.organization_id, list(project_ids))
        roles = {row["project_id"]: row["role"] for row in rows}
        return [roles.get(i) for i in project_ids]

    return load


def projects_of_organization_loader(pool: asyncpg.Pool, principal: Principal) -> Batch:
    """Keys are (organization id, after id, limit); one statement per distinct (after, limit) in a batch."""

    async def load(keys: Sequence[tuple[int, int | None, int]]) -> list[list[asyncpg.Record]]:
        pages: dict[tuple[int, int | None, int], list[asyncpg.Record]] = defaultdict(list)
        by_window: dict[tuple[int | None, int], list[int]] = defaultdict(list)
        for organization_id, after_id, limit in keys:
            by_window[(after_id, limit)].append(organization_id)
        async with pool.acquire() as connection:
            for (after_id, limit), organization_ids in by_window.items():
                rows = await projects.projects_of_organizations(
                    connection,
                    organization_ids,
                    see_all=principal.is_admin,
                    viewer_organization=principal.organization_id,
                    after_id=after_id,
                    limit=limit,
                )
                for row in rows:
                    pages[(row["for_organization"], after_id, limit)].append(row)
        return [pages.get(key, []) for key in keys]

    return load


def project_count_loader(pool: asyncpg.Pool, principal: Principal) -> Batch:
    async def load(organization_ids: Sequence[int]) -> list[int]:
        async with pool.acquire() as connection:
            rows = await projects.count_projects_of_organizations(
                connection,
                list(organization_ids),
                see_all=principal.is_admin,
                viewer_organization=principal.organization_id,
            )
        counts = {row["organization_id"]: row["n"] for row in rows}
        return [counts.get(i, 0) for i in organization_ids]

    return load
