"""Root query fields of the risk slice: the at-risk list."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db import statistics
from schema.context import Context
from schema.enums import Severity
from schema.pagination import After, First, build_connection, decode_cursor, page_size
from schema.permissions import require_member
from schema.prefetch import prefetch_projects
from schema.projects.types import AtRiskProjects, CooperationProject, CooperationProjectConnection


async def resolve_at_risk_projects(
    info: Info[Context, Any],
    min_severity: Annotated[
        Severity, strawberry.argument(description="Only projects whose most severe open flag is at least this severe.")
    ] = Severity.LOW,
    first: First = None,
    after: After = None,
) -> CooperationProjectConnection:
    principal = require_member(info)
    limit = page_size(first)
    after_key = decode_cursor(after, float, int)
    member_of = None if principal.is_admin else principal.organization_id
    async with info.context.pool.acquire() as connection:
        rows = await statistics.at_risk_projects(
            connection, member_of=member_of, min_level=min_severity.value, after=after_key, limit=limit + 1
        )
    for row in rows:
        info.context.loaders.project.prime(row["id"], row)
    await prefetch_projects(info, [row["id"] for row in rows[:limit]])
    return build_connection(
        CooperationProjectConnection,
        rows,
        limit,
        CooperationProject.from_row,
        lambda r: (r["risk_rank"], r["id"]),
        listed=AtRiskProjects(min_severity.value),
    )
