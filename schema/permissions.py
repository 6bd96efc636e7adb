"""Who may see and do what (SECURITY.md states the rules and what each reader can learn).

- anonymous: only `marketplace`, the schema and GraphiQL;
- members: the organization directory, the projects they take part in, published success stories;
- a project's partners and moderators: its confidential details (goals, exit plan, surveys, statistics);
- admins: everything.
"""

import asyncio
from typing import Any, cast

from strawberry.permission import BasePermission
from strawberry.types import Info

from domain.access import sees_project, sees_project_details
from domain.disclosure import released_round, round_withheld, sees_everything
from domain.principal import Principal
from schema.context import Context
from schema.errors import unauthenticated


def require_member(info: Info[Context, Any]) -> Principal:
    principal = info.context.principal
    if not principal.is_authenticated:
        raise unauthenticated()
    return principal


async def viewer_role(info: Info[Context, Any], project_id: int) -> str | None:
    """The viewer organization's current role in the project, None when it is not a partner."""
    if info.context.principal.organization_id is None:
        return None
    return await info.context.loaders.viewer_role.load(project_id)


async def can_see_project(info: Info[Context, Any], project: Any) -> bool:
    principal = info.context.principal
    if principal.is_admin or not principal.is_authenticated or project.published:
        return sees_project(principal, None, published=project.published)  # the role does not matter
    return sees_project(principal, await viewer_role(info, project.id), published=False)


# Each rule below has a form that answers without awaiting when the viewer's role in the project is already
# loaded (None when it is not: then the async form loads it and asks the same rule again). List resolvers
# load the roles of a whole page up front (schema/prefetch.py), so their items' fields never await.


def viewer_role_now(info: Info[Context, Any], project_id: int) -> tuple[bool, str | None]:
    """(known, the viewer organization's role in the project) without awaiting."""
    if info.context.principal.organization_id is None:
        return True, None
    # DataLoader.load returns its Future (typed as an Awaitable): done() tells whether it is already loaded
    future = cast("asyncio.Future[str | None]", info.context.loaders.viewer_role.load(project_id))
    if future.done() and not future.cancelled() and not future.exception():
        return True, future.result()
    return False, None


def details_visible_now(info: Info[Context, Any], project_id: int) -> bool | None:
    """Partners, moderators and admins see a project's confidential details (None: not known yet)."""
    if info.context.principal.is_admin:
        return True
    known, role = viewer_role_now(info, project_id)
    return sees_project_details(role, is_admin=False) if known else None


async def can_see_project_details(info: Info[Context, Any], project_id: int) -> bool:
    visible = details_visible_now(info, project_id)
    if visible is None:
        await viewer_role(info, project_id)
        visible = details_visible_now(info, project_id)
    return bool(visible)


class ProjectPartnersOnly(BasePermission):
    """For fields of a CooperationProject: visible to its partners, moderators and admins. Others (members
    reading a published story) get null or an empty list, which reveals nothing."""

    message = "Only the project's partners, moderators and admins see this."

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return await can_see_project_details(info, source.id)


def sees_individual_numbers_now(info: Info[Context, Any], project_id: int) -> bool | None:
    """Moderators and admins see every aggregate and individual answer; plain partners only aggregates
    over at least `min_group_size` answers (None: not known yet)."""
    if info.context.principal.is_admin:
        return True
    known, role = viewer_role_now(info, project_id)
    return sees_everything(role, is_admin=False) if known else None


async def sees_individual_numbers(info: Info[Context, Any], project_id: int) -> bool:
    sees = sees_individual_numbers_now(info, project_id)
    if sees is None:
        await viewer_role(info, project_id)
        sees = sees_individual_numbers_now(info, project_id)
    return bool(sees)


def suppressed_now(info: Info[Context, Any], project_id: int, statistics: Any) -> bool | None:
    """Whether a round's aggregates (a statistics row with response_count and closed) are hidden from the
    viewer (None: not known yet). Plain partners see a round's numbers once it has closed with at least
    `min_group_size` answers (domain/disclosure.py)."""
    count, closed, minimum = statistics["response_count"], statistics["closed"], info.context.settings.min_group_size
    if released_round(count, closed, minimum):
        return False  # released to everyone: no need to know the viewer's role
    sees = sees_individual_numbers_now(info, project_id)
    return None if sees is None else round_withheld(count, closed, minimum, sees_all=sees)


async def is_suppressed(info: Info[Context, Any], project_id: int, statistics: Any) -> bool:
    hidden = suppressed_now(info, project_id, statistics)
    if hidden is None:
        await viewer_role(info, project_id)
        hidden = suppressed_now(info, project_id, statistics)
    return bool(hidden)
