"""Root query fields of the organizations slice: the directory."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db import organizations
from schema.context import Context
from schema.enums import OrganizationKind
from schema.organizations.types import (
    OrganizationConnection,
    SmeConnection,
    StartupConnection,
    organization_from_row,
)
from schema.pagination import After, First, build_connection, decode_cursor, page_size
from schema.permissions import require_member
from schema.prefetch import prefetch_organizations

MAX_SEARCH_LENGTH = 100


async def directory_page(
    info: Info[Context, Any],
    connection_type: type,
    *,
    kind: str | None,
    industry: str | None,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Any:
    require_member(info)
    limit = page_size(first)
    after_key = decode_cursor(after, str, int)
    search = (search or "").strip()[:MAX_SEARCH_LENGTH] or None
    filters = {"kind": kind, "industry": industry, "search": search}
    async with info.context.pool.acquire() as connection:
        rows = await organizations.list_organizations(connection, **filters, after=after_key, limit=limit + 1)
    for row in rows[:limit]:
        info.context.loaders.organization.prime(row["id"], row)
    await prefetch_organizations(info, [row["id"] for row in rows[:limit]])
    return build_connection(
        connection_type, rows, limit, organization_from_row, lambda row: (row["name"], row["id"]), filters=filters
    )


async def resolve_organizations(
    info: Info[Context, Any],
    kind: Annotated[
        OrganizationKind | None, strawberry.argument(description="Only organizations of this kind.")
    ] = None,
    industry: Annotated[
        str | None, strawberry.argument(description="Only organizations of this industry (exact name).")
    ] = None,
    search: Annotated[
        str | None,
        strawberry.argument(description="Only organizations whose name contains this text (case-insensitive)."),
    ] = None,
    first: First = None,
    after: After = None,
) -> OrganizationConnection:
    return await directory_page(
        info,
        OrganizationConnection,
        kind=kind.value if kind else None,
        industry=industry,
        search=search,
        first=first,
        after=after,
    )


async def resolve_startups(info: Info[Context, Any], first: First = None, after: After = None) -> StartupConnection:
    return await directory_page(
        info, StartupConnection, kind="STARTUP", industry=None, search=None, first=first, after=after
    )


async def resolve_smes(info: Info[Context, Any], first: First = None, after: After = None) -> SmeConnection:
    return await directory_page(info, SmeConnection, kind="SME", industry=None, search=None, first=first, after=after)
