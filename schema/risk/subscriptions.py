"""`riskFlagChanged`: flags raised, resolved or acknowledged, live, for the projects the subscriber may see."""

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db import flags, projects
from domain.disclosure import sees_everything
from schema.context import Context
from schema.errors import ClientError, unauthenticated
from schema.ids import project_id_of
from schema.loaders import Loaders
from schema.risk.types import RiskFlag


async def token_still_valid(context: Context) -> bool:
    """A token revoked while its subscription lives must stop receiving events. The token cache makes this
    at most one lookup per token every `token_cache_seconds`, however many events arrive."""
    params = context.connection_params or {}
    authorization = params.get("Authorization") or params.get("authorization")
    if context.authenticate is None:
        return False  # nothing can tell: a subscription that cannot be checked ends
    principal = await context.authenticate(authorization if isinstance(authorization, str) else None)
    return principal == context.principal


async def audience_of(context: Context, project_id: int) -> str | None:
    """Which flags of the project the subscriber sees (FULL or PARTNERS), None for none. Checked afresh for
    every event: partners come and go while a subscription lives."""
    principal = context.principal
    if principal.is_admin:
        return "FULL"
    async with context.pool.acquire() as connection:
        roles = await projects.partner_roles(connection, project_id)
    if principal.organization_id not in roles:
        return None
    return "FULL" if sees_everything(roles[principal.organization_id], is_admin=False) else "PARTNERS"


async def risk_flag_changed(
    info: Info[Context, Any],
    project_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this project's flags; all visible ones without.")
    ] = None,
) -> AsyncGenerator[RiskFlag, None]:
    context = info.context
    if not context.principal.is_authenticated:
        raise unauthenticated()
    wanted = project_id_of(project_id) if project_id is not None else None
    if project_id is not None and wanted is None:
        return  # an id that names no project has no events
    hub = context.flag_events
    if hub is None:
        raise ClientError("Live flag events are not available here.", "BAD_REQUEST")
    subject = f"token:{context.principal.token_id}"
    if not hub.has_room_for(subject):
        raise ClientError(
            f"This token holds {context.settings.max_subscriptions_per_token} live subscriptions already; "
            "close one first.",
            "TOO_MANY_SUBSCRIPTIONS",
        )
    with hub.subscription(subject) as queue:
        while True:
            event = await queue.get()
            if event.change == "UPDATED" or (wanted is not None and event.project_id != wanted):
                continue
            if not await token_still_valid(context):
                raise ClientError("The token was revoked.", "UNAUTHENTICATED")
            audience = await audience_of(context, event.project_id)
            if audience is None:
                continue
            async with context.pool.acquire() as connection:
                [row] = await flags.flags_by_ids(connection, [event.flag_id]) or [None]
            if row is None or row["audience"] != audience:
                continue
            # fresh loaders per event: what the fields read must not come from an earlier event's cache
            context.loaders = Loaders.create(context.pool, context.principal)
            yield RiskFlag.from_row(row)
