"""DataLoaders of the projects slice that depend on the viewer or on composite keys."""

from collections.abc import Sequence

import asyncpg

from db import projects
from domain.principal import Principal
from schema.batching import Batch, windowed


def partner_loader(pool: asyncpg.Pool) -> Batch:
    async def load(keys: Sequence[tuple[int, int]]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await projects.partners_by_keys(connection, list(keys))
        found = {(row["project_id"], row["organization_id"]): row for row in rows}
        return [found.get(key) for key in keys]

    return load


def invitation_loader(pool: asyncpg.Pool) -> Batch:
    async def load(keys: Sequence[tuple[int, int]]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await projects.invitations_by_keys(connection, list(keys))
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
    """Keys are (organization id, after id, limit): a page of each organization's projects."""

    async def fetch(
        connection: asyncpg.Connection, organization_ids: list[int], after_id: int | None, limit: int
    ) -> list[asyncpg.Record]:
        return await projects.projects_of_organizations(
            connection,
            organization_ids,
            see_all=principal.is_admin,
            viewer_organization=principal.organization_id,
            after_id=after_id,
            limit=limit,
        )

    return windowed(pool, fetch, "for_organization")


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
