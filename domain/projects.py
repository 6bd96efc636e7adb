"""Project services: create a project, partners and invitations, phases, goals, the exit plan, publication.

Each runs in one transaction of its own and asks for the recomputation after commit where the project's
facts changed; what it refuses it raises as a `Refusal` and nothing changes. Field names in refusals are
the inputs' (camelCase), as clients send them.
"""

from dataclasses import dataclass
from datetime import date

import asyncpg

from db import organizations, projects
from domain import consent, validation
from domain.access import (
    ProjectAccess,
    locked_project,
    locked_project_taken_part_in,
    require_authenticated,
    require_open,
)
from domain.jobs import request_recompute
from domain.principal import Principal
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from domain.runtime import Runtime
from domain.vocabulary import FINAL_PHASES, NEXT_PHASE, PUBLISHABLE_PHASES, PartnerRole, Phase

MAX_PARTNERS = 50
GOAL = ("goal", "id")


def transition_error(current: str, target: str) -> str | None:
    """None when current → target is allowed (forward one step, or TERMINATED from any open phase), else why
    not."""
    if current in FINAL_PHASES:
        return f"The project is {current}; that phase is final."
    if target == Phase.TERMINATED or NEXT_PHASE[Phase(current)] == target:
        return None
    return f"From {current} the project can move to {NEXT_PHASE[Phase(current)]} or TERMINATED, not {target}."


@dataclass(frozen=True)
class NewProject:
    title: str
    kind: str
    # (organization id, or None for an id that names none; role), in the order given
    partners: list[tuple[int | None, str]]
    summary: str | None = None
    planned_end_on: date | None = None


@dataclass(frozen=True)
class Joined:
    """An organization that became a partner at once (an admin added it)."""

    partner: asyncpg.Record


@dataclass(frozen=True)
class Invited:
    """An organization invited; it becomes a partner when it accepts."""

    invitation: asyncpg.Record


async def _recompute_after(runtime: Runtime, project_id: int) -> None:
    await request_recompute(runtime.jobs, runtime.settings.redis_namespace, project_id)


async def _checked_partners(
    connection: asyncpg.Connection, found: list[Refusal], partners: list[tuple[int | None, str]]
) -> list[tuple[int, str]]:
    checked: list[tuple[int, str]] = []
    for index, (organization_id, role) in enumerate(partners):
        field = f"partners.{index}.organizationId"
        if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
            found.append(Refusal(RefusalCode.NOT_FOUND, "No such organization.", field))
        elif organization_id in (known for known, _ in checked):
            found.append(invalid(field, "The organization is listed twice."))
        else:
            checked.append((organization_id, role))
    if sum(role == PartnerRole.LEAD for _, role in checked) != 1 and not found:
        found.append(invalid("partners", "Exactly one partner must be the LEAD."))
    if len(partners) > MAX_PARTNERS:
        found.append(invalid("partners", f"At most {MAX_PARTNERS} partners."))
    return checked


async def create_project(runtime: Runtime, principal: Principal, new: NewProject) -> asyncpg.Record:
    """A new project in ASSESSMENT. Admins add every partner at once; a member takes part itself and invites
    the others. Only admins appoint moderators."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        found: list[Refusal] = []
        title = validation.text(found, "title", new.title, maximum=200)
        summary = validation.text(found, "summary", new.summary, maximum=5000, required=False)
        planned_end_on = validation.not_before(found, "plannedEndOn", new.planned_end_on, date.today())
        partners = await _checked_partners(connection, found, new.partners)
        refuse_all(found)
        if not principal.is_admin and principal.organization_id not in {organization for organization, _ in partners}:
            raise forbidden("Members create projects they take part in: list your organization as a partner.")
        for index, (_, role) in enumerate(partners):
            if not consent.may_appoint(principal.is_admin, role):
                raise forbidden("Only admins appoint moderators.", f"partners.{index}.role")
        row = await projects.insert_project(
            connection, title=title or "", summary=summary, kind=new.kind, planned_end_on=planned_end_on
        )
        for organization_id, role in partners:
            if consent.joins_directly(principal.is_admin, principal.organization_id, organization_id):
                await projects.insert_partner(connection, row["id"], organization_id, role)
            else:
                await projects.insert_invitation(
                    connection, row["id"], organization_id, role, principal.organization_id
                )
    return row


async def add_partner(
    runtime: Runtime, principal: Principal, project_id: int | None, organization_id: int | None, role: str
) -> Joined | Invited:
    """Admins add a partner at once; the lead partner and moderators invite (again, after a decline)."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators add partners.")
        if not consent.may_appoint(access.is_admin, role):
            raise forbidden("Only admins appoint moderators.", "role")
        require_open(access)
        if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
            raise not_found("organization", "organizationId")
        if organization_id in access.roles:
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The organization is already a partner.", "organizationId")
        invitations = await projects.invitation_statuses(connection, access.project_id)
        pending = {org: offered for org, (status, offered) in invitations.items() if status == "INVITED"}
        if organization_id in pending and not access.is_admin:
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The organization is already invited.", "organizationId")
        lead_taken = PartnerRole.LEAD in access.roles.values() or any(
            offered == PartnerRole.LEAD and org != organization_id for org, offered in pending.items()
        )
        if role == PartnerRole.LEAD and lead_taken:
            raise invalid("role", "The project already has (or has invited) a lead partner.")
        if not access.is_admin:
            row = await projects.insert_invitation(
                connection, access.project_id, organization_id, role, principal.organization_id
            )
            return Invited(row)
        await projects.delete_pending_invitation(connection, access.project_id, organization_id)
        partner = await projects.insert_partner(connection, access.project_id, organization_id, role)
    await _recompute_after(runtime, access.project_id)
    return Joined(partner)


async def advance_phase(runtime: Runtime, principal: Principal, project_id: int | None, to: str) -> asyncpg.Record:
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators change the phase.")
        problem = transition_error(access.row["phase"], to)
        if problem:
            raise Refusal(RefusalCode.INVALID_TRANSITION, problem, "to")
        row = await projects.change_phase(connection, access.project_id, access.row["phase"], to)
    await _recompute_after(runtime, access.project_id)
    return row


async def add_goal(
    runtime: Runtime,
    principal: Principal,
    project_id: int | None,
    title: str,
    owner_organization_id: int | None,
    due_on: date | None,
) -> asyncpg.Record:
    """Partners write down their own goals; the lead partner, moderators and admins anyone's."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.takes_part:
            raise forbidden("Only the project's partners, moderators and admins add goals.")
        if not access.manages and owner_organization_id != principal.organization_id:
            raise forbidden("Partners add their own goals; the lead partner and moderators add goals for anyone.")
        require_open(access)
        found: list[Refusal] = []
        cleaned = validation.text(found, "title", title, maximum=300)
        if owner_organization_id is None or owner_organization_id not in access.roles:
            found.append(invalid("ownerOrganizationId", "The owner must be a partner of the project."))
        refuse_all(found)
        assert owner_organization_id is not None  # refused above otherwise
        row = await projects.insert_goal(connection, access.project_id, cleaned or "", owner_organization_id, due_on)
    await _recompute_after(runtime, access.project_id)
    return row


async def update_goal(runtime: Runtime, principal: Principal, goal_id: int | None, status: str) -> asyncpg.Record:
    """The goal's owner, the lead partner, moderators and admins set its status."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        goal = await projects.lock_goal(connection, goal_id) if goal_id else None
        if goal is None or goal_id is None:
            raise not_found(*GOAL)
        access = await locked_project_taken_part_in(connection, principal, goal["project_id"], GOAL)
        if not access.manages and goal["owner_organization_id"] != principal.organization_id:
            raise forbidden("Only the goal's owner, the lead partner, moderators and admins update a goal.")
        require_open(access)
        row = await projects.update_goal_status(connection, goal_id, status)
    await _recompute_after(runtime, access.project_id)
    return row


async def set_exit_plan(
    runtime: Runtime, principal: Principal, project_id: int | None, exit_plan: str | None
) -> asyncpg.Record:
    """Null or blank clears the plan. Admins, the lead partner, moderators."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators set the exit plan.")
        require_open(access)
        found: list[Refusal] = []
        cleaned = validation.text(found, "exitPlan", exit_plan, maximum=10_000, required=False)
        refuse_all(found)
        row = await projects.set_exit_plan(connection, access.project_id, cleaned)
    await _recompute_after(runtime, access.project_id)
    return row


async def publish(runtime: Runtime, principal: Principal, project_id: int | None, story: str) -> asyncpg.Record:
    """An ACTIVE or COMPLETED project as a success story. Admins, or the lead partner once every current
    partner has approved."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not (access.is_admin or access.is_lead):
            raise forbidden("Only admins and the lead partner publish a project.")
        if access.row["phase"] not in PUBLISHABLE_PHASES:
            raise Refusal(
                RefusalCode.INVALID_TRANSITION, "Only ACTIVE or COMPLETED projects are published.", "projectId"
            )
        found: list[Refusal] = []
        cleaned = validation.text(found, "story", story, maximum=10_000)
        refuse_all(found)
        if not access.is_admin:
            missing = consent.missing_approvals(await projects.publication_approvals(connection, access.project_id))
            if missing:
                raise Refusal(
                    RefusalCode.CONSENT_REQUIRED,
                    f"{len(missing)} partner(s) have not approved the publication yet (approveProjectPublication).",
                    "projectId",
                )
        return await projects.publish(connection, access.project_id, cleaned or "")


async def _pending_invitation(
    connection: asyncpg.Connection, principal: Principal, project_id: int | None
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """(locked project row, the principal's pending invitation to it) or a refusal."""
    organization_id = principal.organization_id
    if organization_id is None:
        raise forbidden("Invitations are answered by the invited organization; admins add partners directly.")
    project = await projects.lock_project(connection, project_id) if project_id else None
    invitation = (
        await projects.lock_pending_invitation(connection, project_id, organization_id)
        if project and project_id
        else None
    )
    if project is None or invitation is None:
        # no invitation: the project does not exist for the caller (or it is already answered)
        raise not_found("pending invitation of your organization to a project", "projectId")
    return project, invitation


async def accept_invitation(runtime: Runtime, principal: Principal, project_id: int | None) -> asyncpg.Record:
    """The invited organization becomes a partner with the role offered."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        project, invitation = await _pending_invitation(connection, principal, project_id)
        if project["phase"] in FINAL_PHASES:
            raise Refusal(RefusalCode.INVALID_TRANSITION, f"The project is {project['phase']}.", "projectId")
        roles = await projects.partner_roles(connection, project["id"])
        if invitation["role"] == PartnerRole.LEAD and PartnerRole.LEAD in roles.values():
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The project has a lead partner already.", "projectId")
        await projects.answer_invitation(connection, project["id"], invitation["organization_id"], "ACCEPTED")
        partner = await projects.insert_partner(
            connection, project["id"], invitation["organization_id"], invitation["role"]
        )
    await _recompute_after(runtime, project["id"])
    return partner


async def decline_invitation(runtime: Runtime, principal: Principal, project_id: int | None) -> asyncpg.Record:
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        project, invitation = await _pending_invitation(connection, principal, project_id)
        return await projects.answer_invitation(connection, project["id"], invitation["organization_id"], "DECLINED")


async def approve_publication(
    runtime: Runtime, principal: Principal, project_id: int | None, appear_on_marketplace: bool
) -> asyncpg.Record:
    """A current partner's own consent to publication, and whether the story names it."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access: ProjectAccess = await locked_project(connection, principal, project_id)
        if access.is_admin:
            raise forbidden("Approvals are the partners' own; admins publish without them.")
        if access.viewer_role is None or principal.organization_id is None:
            raise forbidden("Only the project's partners approve its publication.")
        return await projects.approve_publication(
            connection, access.project_id, principal.organization_id, appear_on_marketplace
        )
