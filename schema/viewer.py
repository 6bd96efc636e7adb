"""`viewer`: who is asking."""

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from db import invitations, projects
from domain.vocabulary import ANSWERING_ROLES
from schema.context import Context
from schema.enum_values import described
from schema.organizations.types import Organization, organization_from_row
from schema.permissions import require_member
from schema.projects.types import ProjectInvitation
from schema.surveys.types import SurveyRound


@strawberry.enum(description="What a token may do: administer the whole network, or act for one member.")
class ViewerRole(Enum):
    ADMIN = described("ADMIN", description="An ecosystem manager's token: sees and may do everything.")
    MEMBER = described("MEMBER", description="A member organization's token: acts for that organization.")


@strawberry.type(description="The caller, as identified by the bearer token.")
class Viewer:
    role: ViewerRole = strawberry.field(description="ADMIN for network managers, MEMBER for an organization.")
    organization_id: strawberry.Private[int | None]

    @strawberry.field(description="The organization the token belongs to; null for admin tokens.")
    async def organization(self, info: Info[Context, Any]) -> Organization | None:
        if self.organization_id is None:
            return None
        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))

    @strawberry.field(
        description="Invitations waiting for your organization's answer (acceptProjectInvitation or "
        "declineProjectInvitation), oldest first, at most 500; empty for admin tokens."
    )
    async def project_invitations(self, info: Info[Context, Any]) -> list[ProjectInvitation]:
        if self.organization_id is None:
            return []
        async with info.context.pool.acquire() as connection:
            rows = await projects.pending_invitations_of(connection, self.organization_id)
        return [ProjectInvitation.from_row(row) for row in rows]

    @strawberry.field(
        description="Open survey rounds awaiting your organization's answer, oldest first, at most 500; empty for "
        "admin tokens."
    )
    async def pending_survey_rounds(self, info: Info[Context, Any]) -> list[SurveyRound]:
        if self.organization_id is None:
            return []
        async with info.context.pool.acquire() as connection:
            rows = await invitations.pending_rounds_of(connection, self.organization_id, ANSWERING_ROLES)
        return [SurveyRound.from_row(row) for row in rows]


def resolve_viewer(info: Info[Context, Any]) -> Viewer:
    principal = require_member(info)
    return Viewer(role=ViewerRole(principal.role.value), organization_id=principal.organization_id)
