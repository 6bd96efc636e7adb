"""`viewer`: who is asking."""

from enum import Enum

import strawberry
from strawberry.types import Info

from api.auth import Role
from schema.context import Context


@strawberry.enum(description="What a token may do: administer the whole network, or act for one member.")
class ViewerRole(Enum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


@strawberry.type(description="The caller, as identified by the bearer token.")
class Viewer:
    role: ViewerRole = strawberry.field(description="ADMIN for network managers, MEMBER for an organization.")


def resolve_viewer(info: Info[Context, None]) -> Viewer:
    principal = info.context.principal
    if principal.role is Role.ANONYMOUS:
        raise PermissionError("Authentication required: send `Authorization: Bearer <token>`.")
    return Viewer(role=ViewerRole(principal.role.value))
