"""Project access: who may see a project, and who may do what on it.

A project the principal may not see does not exist for it: every refusal to look is NOT_FOUND, never
FORBIDDEN, so that ids cannot be probed. FORBIDDEN is for what the principal sees but may not change.
"""

from dataclasses import dataclass

import asyncpg

from db import projects
from domain.principal import Principal
from domain.refusals import Refusal, RefusalCode, not_found
from domain.vocabulary import FINAL_PHASES, MANAGING_ROLES, PartnerRole


@dataclass
class ProjectAccess:
    """A locked project row and the principal's role in it."""

    row: asyncpg.Record
    roles: dict[int, str]
    viewer_role: str | None
    is_admin: bool

    @property
    def project_id(self) -> int:
        return int(self.row["id"])

    @property
    def manages(self) -> bool:
        """Admins, the lead partner and moderators run the project."""
        return self.is_admin or self.viewer_role in MANAGING_ROLES

    @property
    def takes_part(self) -> bool:
        """A current partner (any role), or an admin."""
        return sees_project_details(self.viewer_role, is_admin=self.is_admin)

    @property
    def is_lead(self) -> bool:
        return self.viewer_role == PartnerRole.LEAD


def sees_project(principal: Principal, role: str | None, *, published: bool) -> bool:
    """Whether a project exists for the principal: admins see every project; members the projects they take
    part in (`role`: the member's current role, None when it is none) and published success stories."""
    return principal.is_admin or (principal.is_authenticated and (published or role is not None))


def sees_project_details(role: str | None, *, is_admin: bool) -> bool:
    """A project's confidential details (goals, exit plan, survey rounds and their statistics): its current
    partners in any role (`role` not None) and admins."""
    return is_admin or role is not None


def require_authenticated(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Refusal(RefusalCode.UNAUTHENTICATED, "Send `Authorization: Bearer <token>`.")


async def locked_project(
    connection: asyncpg.Connection,
    principal: Principal,
    project_id: int | None,
    missing: tuple[str, str] = ("project", "projectId"),
) -> ProjectAccess:
    """Lock the project for the rest of the transaction. A project the principal may not see is NOT_FOUND
    (reported as `missing`: what was looked for, and the input field). Published projects are visible to all."""
    row = await projects.lock_project(connection, project_id) if project_id else None
    if row is None or project_id is None:
        raise not_found(*missing)
    roles = await projects.partner_roles(connection, project_id)
    role = roles.get(principal.organization_id) if principal.organization_id else None
    if not principal.is_admin and role is None and row["published_at"] is None:
        raise not_found(*missing)
    return ProjectAccess(row=row, roles=roles, viewer_role=role, is_admin=principal.is_admin)


async def locked_project_taken_part_in(
    connection: asyncpg.Connection, principal: Principal, project_id: int | None, missing: tuple[str, str]
) -> ProjectAccess:
    """As `locked_project`, for objects inside a project (rounds, goals, flags) that only its partners and
    admins see, even when the project is published."""
    access = await locked_project(connection, principal, project_id, missing)
    if not access.takes_part:
        raise not_found(*missing)
    return access


def require_open(access: ProjectAccess) -> None:
    """A project in a final phase no longer changes."""
    if access.row["phase"] in FINAL_PHASES:
        phase = access.row["phase"]
        raise Refusal(RefusalCode.INVALID_TRANSITION, f"The project is {phase} and can no longer change.")


def require_manager(access: ProjectAccess, message: str) -> None:
    if not access.manages:
        raise Refusal(RefusalCode.FORBIDDEN, message)
