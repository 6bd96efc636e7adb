"""Root query fields of the projects slice."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db import projects
from schema.context import Context
from schema.enums import ProjectPhase
from schema.ids import decode_organization_id
from schema.pagination import After, First, build_connection, decode_cursor, page_size
from schema.permissions import require_member
from schema.prefetch import prefetch_projects
from schema.projects.types import (
    CooperationProject,
    CooperationProjectConnection,
    ListedProjects,
    MarketplaceProjects,
    NoProjects,
)


async def _prime(info: Info[Context, Any], rows: list, limit: int) -> None:
    for row in rows:
        info.context.loaders.project.prime(row["id"], row)
    await prefetch_projects(info, [row["id"] for row in rows[:limit]])


def _empty(limit: int) -> CooperationProjectConnection:
    return build_connection(
        CooperationProjectConnection, [], limit, CooperationProject.from_row, lambda r: (), listed=NoProjects()
    )


async def resolve_cooperation_projects(
    info: Info[Context, Any],
    phase: Annotated[ProjectPhase | None, strawberry.argument(description="Only projects in this phase.")] = None,
    organization_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only projects this organization (global id) takes part in."),
    ] = None,
    at_risk: Annotated[
        bool | None,
        strawberry.argument(description="true: only projects with an open risk flag; false: only those without."),
    ] = None,
    first: First = None,
    after: After = None,
) -> CooperationProjectConnection:
    principal = require_member(info)
    limit = page_size(first)
    after_key = decode_cursor(after, int)
    organization = None
    if organization_id is not None:
        organization = decode_organization_id(organization_id)
        if organization is None:
            return _empty(limit)  # an id that names no organization matches no project
    listed = ListedProjects(phase=phase.value if phase else None, organization_id=organization, at_risk=at_risk)
    async with info.context.pool.acquire() as connection:
        rows = await projects.list_projects(
            connection,
            member_of=None if principal.is_admin else principal.organization_id,
            phase=listed.phase,
            organization_id=listed.organization_id,
            at_risk=listed.at_risk,
            after_id=after_key[0] if after_key else None,
            limit=limit + 1,
        )
    await _prime(info, rows, limit)
    return build_connection(
        CooperationProjectConnection, rows, limit, CooperationProject.from_row, lambda r: (r["id"],), listed=listed
    )


async def resolve_marketplace(
    info: Info[Context, Any], first: First = None, after: After = None
) -> CooperationProjectConnection:
    """Published success stories; open to everybody, no token needed."""
    limit = page_size(first)
    after_key = decode_cursor(after, datetime, int)
    async with info.context.pool.acquire() as connection:
        rows = await projects.list_marketplace(connection, after=after_key, limit=limit + 1)
    await _prime(info, rows, limit)
    return build_connection(
        CooperationProjectConnection,
        rows,
        limit,
        CooperationProject.from_row,
        lambda r: (r["published_at"], r["id"]),
        listed=MarketplaceProjects(),
    )
