"""Who may see and do what (DESIGN section 2, "Confidentiality").

- anonymous: only `marketplace`, the schema and GraphiQL;
- members: the organization directory, the projects they take part in, published success stories;
- a project's partners and moderators: its confidential details (goals, exit plan, surveys, statistics);
- admins: everything.
"""

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from api.auth import Principal
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
    if principal.is_admin:
        return True
    if not principal.is_authenticated:
        return False
    return project.published or await viewer_role(info, project.id) is not None


async def can_see_project_details(info: Info[Context, Any], project_id: int) -> bool:
    """Partners, moderators and admins see a project's confidential details."""
    return info.context.principal.is_admin or await viewer_role(info, project_id) is not None


class ProjectPartnersOnly(BasePermission):
    """For fields of a CooperationProject: visible to its partners, moderators and admins. Others (members
    reading a published story) get null or an empty list, which reveals nothing."""

    message = "Only the project's partners, moderators and admins see this."

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return await can_see_project_details(info, source.id)


async def sees_individual_numbers(info: Info[Context, Any], project_id: int) -> bool:
    """Moderators and admins see every aggregate and individual answer; plain partners only aggregates
    over at least `min_group_size` answers."""
    return info.context.principal.is_admin or await viewer_role(info, project_id) == "MODERATOR"


async def is_suppressed(info: Info[Context, Any], project_id: int, response_count: int) -> bool:
    if response_count >= info.context.settings.min_group_size:
        return False
    return not await sees_individual_numbers(info, project_id)
