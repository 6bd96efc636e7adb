"""Mutations of the projects slice: create, partners, phases, goals, exit plan, publication."""

from datetime import date
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import organizations, projects
from domain import consent, validation
from domain.access import locked_project, require_open
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from domain.vocabulary import FINAL_PHASES
from schema.context import Context
from schema.enums import CooperationKind, GoalStatus, PartnerRole, ProjectPhase
from schema.ids import decode_global_id, decode_organization_id
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    UserError,
    in_transaction,
    request_recompute,
)
from schema.projects.phases import transition_error
from schema.projects.types import CooperationProject, ProjectGoal, ProjectInvitation, ProjectPartner


@strawberry.input(description="An organization taking part in a new project, and its role.")
class ProjectPartnerInput:
    organization_id: strawberry.ID = strawberry.field(description="Global id of the organization.")
    role: PartnerRole = strawberry.field(description="Its role in the project.")


@strawberry.input(
    description="A new cooperation project; it starts in ASSESSMENT. Exactly one partner is the LEAD. Admins, or "
    "a member that is itself one of the partners. Called by an admin, every listed organization is a partner at "
    "once; called by a member, only the member's own organization is, and every other one is invited "
    "(`CooperationProject.invitations`) and becomes a partner when it accepts. Only admins appoint MODERATORs."
)
class CreateCooperationProjectInput:
    title: str = strawberry.field(description="Short title, at most 200 characters.")
    kind: CooperationKind = strawberry.field(description="Kind of cooperation.")
    partners: list[ProjectPartnerInput] = strawberry.field(
        description="The partners; exactly one LEAD; MODERATOR only from admins (FORBIDDEN otherwise)."
    )
    summary: str | None = strawberry.field(default=None, description="What it is about, at most 5,000 characters.")
    planned_end_on: date | None = strawberry.field(default=None, description="Planned end; not in the past.")


@strawberry.type(description="Result of `createCooperationProject`.")
class CreateCooperationProjectPayload:
    cooperation_project: CooperationProject | None = strawberry.field(
        description="The result; null when the mutation was refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Add an organization to a project. Admins, the lead partner and moderators. An admin adds it as a "
    "partner at once; the lead partner and moderators invite it, and it becomes a partner when it accepts "
    "(inviting again after a decline renews the invitation). Only admins appoint MODERATORs."
)
class AddProjectPartnerInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    organization_id: strawberry.ID = strawberry.field(description="Global id of the organization joining.")
    role: PartnerRole = strawberry.field(
        description="Its role; a project has one LEAD; MODERATOR only from admins (FORBIDDEN otherwise)."
    )


@strawberry.type(description="Result of `addProjectPartner`.")
class AddProjectPartnerPayload:
    project_partner: ProjectPartner | None = strawberry.field(
        description="The new partner when an admin added it; null when the mutation was refused or it invited."
    )
    invitation: ProjectInvitation | None = strawberry.field(
        description="The invitation when the lead partner or a moderator invited the organization; null otherwise."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Move a project to its next phase, or to TERMINATED. Admins, the lead partner and moderators."
)
class AdvanceProjectPhaseInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    to: ProjectPhase = strawberry.field(description="The next phase, or TERMINATED.")


@strawberry.type(description="Result of `advanceProjectPhase`.")
class AdvanceProjectPhasePayload:
    cooperation_project: CooperationProject | None = strawberry.field(
        description="The result; null when the mutation was refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Write down what a partner expects. Any partner for its own goals; the lead partner, moderators "
    "and admins for any partner."
)
class AddProjectGoalInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    title: str = strawberry.field(description="What is expected, at most 300 characters.")
    owner_organization_id: strawberry.ID = strawberry.field(description="Global id of the partner who expects it.")
    due_on: date | None = strawberry.field(default=None, description="When it is due.")


@strawberry.type(description="Result of `addProjectGoal`.")
class AddProjectGoalPayload:
    project_goal: ProjectGoal | None = strawberry.field(description="The result; null when the mutation was refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Set a goal's status. Its owner, the lead partner, moderators and admins.")
class UpdateProjectGoalInput:
    id: strawberry.ID = strawberry.field(description="Global id of the goal.")
    status: GoalStatus = strawberry.field(description="The new status.")


@strawberry.type(description="Result of `updateProjectGoal`.")
class UpdateProjectGoalPayload:
    project_goal: ProjectGoal | None = strawberry.field(description="The result; null when the mutation was refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Agree how the partners will part ways (null or blank clears it). Admins, lead, moderators."
)
class SetExitPlanInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    exit_plan: str | None = strawberry.field(
        description="The plan, at most 10,000 characters; null or blank clears it."
    )


@strawberry.type(description="Result of `setExitPlan`.")
class SetExitPlanPayload:
    cooperation_project: CooperationProject | None = strawberry.field(
        description="The result; null when the mutation was refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Publish an ACTIVE or COMPLETED project as a success story on the marketplace. Admins and the "
    "lead partner; the lead partner only once every current partner (the lead and moderators included) has "
    "approved with approveProjectPublication (CONSENT_REQUIRED otherwise). The marketplace lists only the "
    "partners that agreed to appear."
)
class PublishProjectInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    story: str = strawberry.field(description="The success story, at most 10,000 characters.")


@strawberry.type(description="Result of `publishProject`.")
class PublishProjectPayload:
    cooperation_project: CooperationProject | None = strawberry.field(
        description="The result; null when the mutation was refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Accept your organization's pending invitation to a project: it becomes a partner with the role "
    "offered. Members only (the invited organization)."
)
class AcceptProjectInvitationInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project you are invited to.")


@strawberry.input(
    description="Decline your organization's pending invitation to a project. Members only (the invited organization)."
)
class DeclineProjectInvitationInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project you are invited to.")


@strawberry.type(description="Result of `acceptProjectInvitation`.")
class AcceptProjectInvitationPayload:
    project_partner: ProjectPartner | None = strawberry.field(
        description="Your organization as a partner of the project; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="Result of `declineProjectInvitation`.")
class DeclineProjectInvitationPayload:
    invitation: ProjectInvitation | None = strawberry.field(description="The declined invitation; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Your organization's consent to publishing the project on the marketplace, and whether it "
    "appears there among the partners. Any current partner of the project (members only); call again to change "
    "`appearOnMarketplace`, also after publication."
)
class ApproveProjectPublicationInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    appear_on_marketplace: bool = strawberry.field(
        default=True,
        description="Whether your organization is listed among the partners of the published story (name, kind, "
        "industry, city, country and website for readers without a token). False: the story does not name you.",
    )


@strawberry.type(description="Result of `approveProjectPublication`.")
class ApproveProjectPublicationPayload:
    project_partner: ProjectPartner | None = strawberry.field(
        description="Your organization as a partner, with the approval; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def project_id_of(global_id: str) -> int | None:
    return decode_global_id(global_id, {"CooperationProject"})


async def create_cooperation_project(
    info: Info[Context, Any], input: Annotated[CreateCooperationProjectInput, MUTATION_INPUT]
) -> CreateCooperationProjectPayload:
    async def work(connection: asyncpg.Connection) -> CooperationProject:
        principal = info.context.principal
        errors: list[Refusal] = []
        title = validation.text(errors, "title", input.title, maximum=200)
        summary = validation.text(errors, "summary", input.summary, maximum=5000, required=False)
        planned_end_on = validation.not_before(errors, "plannedEndOn", input.planned_end_on, date.today())
        partners: list[tuple[int, str]] = []
        for index, partner in enumerate(input.partners):
            organization_id = decode_organization_id(partner.organization_id)
            field = f"partners.{index}.organizationId"
            if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
                errors.append(Refusal(RefusalCode.NOT_FOUND, "No such organization.", field))
            elif organization_id in (p[0] for p in partners):
                errors.append(invalid(field, "The organization is listed twice."))
            else:
                partners.append((organization_id, partner.role.value))
        if sum(role == "LEAD" for _, role in partners) != 1 and not errors:
            errors.append(invalid("partners", "Exactly one partner must be the LEAD."))
        if len(input.partners) > 50:
            errors.append(invalid("partners", "At most 50 partners."))
        refuse_all(errors)
        if not principal.is_admin and principal.organization_id not in (p[0] for p in partners):
            raise forbidden("Members create projects they take part in: list your organization as a partner.")
        for index, (_, role) in enumerate(partners):
            if not consent.may_appoint(principal.is_admin, role):
                raise Refusal(RefusalCode.FORBIDDEN, "Only admins appoint moderators.", f"partners.{index}.role")
        row = await projects.insert_project(
            connection, title=title or "", summary=summary, kind=input.kind.value, planned_end_on=planned_end_on
        )
        for organization_id, role in partners:
            if consent.joins_directly(principal.is_admin, principal.organization_id, organization_id):
                await projects.insert_partner(connection, row["id"], organization_id, role)
            else:
                await projects.insert_invitation(
                    connection, row["id"], organization_id, role, principal.organization_id
                )
        return CooperationProject.from_row(row)

    project, errors = await in_transaction(info, work)
    return CreateCooperationProjectPayload(cooperation_project=project, user_errors=errors)


async def add_project_partner(
    info: Info[Context, Any], input: Annotated[AddProjectPartnerInput, MUTATION_INPUT]
) -> AddProjectPartnerPayload:
    async def work(connection: asyncpg.Connection) -> ProjectPartner | ProjectInvitation:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators add partners.")
        if not consent.may_appoint(access.is_admin, input.role.value):
            raise Refusal(RefusalCode.FORBIDDEN, "Only admins appoint moderators.", "role")
        require_open(access)
        organization_id = decode_organization_id(input.organization_id)
        if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
            raise not_found("organization", "organizationId")
        if organization_id in access.roles:
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The organization is already a partner.", "organizationId")
        invitations = await projects.invitation_statuses(connection, access.row["id"])
        pending = {org: role for org, (status, role) in invitations.items() if status == "INVITED"}
        if organization_id in pending and not access.is_admin:
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The organization is already invited.", "organizationId")
        lead_taken = "LEAD" in access.roles.values() or any(
            role == "LEAD" and org != organization_id for org, role in pending.items()
        )
        if input.role == PartnerRole.LEAD and lead_taken:
            raise invalid("role", "The project already has (or has invited) a lead partner.")
        if access.is_admin:
            await projects.delete_pending_invitation(connection, access.row["id"], organization_id)
            row = await projects.insert_partner(connection, access.row["id"], organization_id, input.role.value)
            return ProjectPartner.from_row(row)
        row = await projects.insert_invitation(
            connection, access.row["id"], organization_id, input.role.value, info.context.principal.organization_id
        )
        return ProjectInvitation.from_row(row)

    added, errors = await in_transaction(info, work)
    if isinstance(added, ProjectPartner):
        await request_recompute(info, added.project_id)
        return AddProjectPartnerPayload(project_partner=added, invitation=None, user_errors=errors)
    return AddProjectPartnerPayload(project_partner=None, invitation=added, user_errors=errors)


async def advance_project_phase(
    info: Info[Context, Any], input: Annotated[AdvanceProjectPhaseInput, MUTATION_INPUT]
) -> AdvanceProjectPhasePayload:
    async def work(connection: asyncpg.Connection) -> CooperationProject:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators change the phase.")
        problem = transition_error(access.row["phase"], input.to.value)
        if problem:
            raise Refusal(RefusalCode.INVALID_TRANSITION, problem, "to")
        row = await projects.change_phase(connection, access.row["id"], access.row["phase"], input.to.value)
        return CooperationProject.from_row(row)

    project, errors = await in_transaction(info, work)
    if project:
        await request_recompute(info, project.id)
    return AdvanceProjectPhasePayload(cooperation_project=project, user_errors=errors)


async def add_project_goal(
    info: Info[Context, Any], input: Annotated[AddProjectGoalInput, MUTATION_INPUT]
) -> AddProjectGoalPayload:
    async def work(connection: asyncpg.Connection) -> ProjectGoal:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        owner = decode_organization_id(input.owner_organization_id)
        if access.viewer_role is None and not access.is_admin:
            raise forbidden("Only the project's partners, moderators and admins add goals.")
        if not access.manages and owner != info.context.principal.organization_id:
            raise forbidden("Partners add their own goals; the lead partner and moderators add goals for anyone.")
        require_open(access)
        errors: list[Refusal] = []
        title = validation.text(errors, "title", input.title, maximum=300)
        if owner not in access.roles:
            errors.append(invalid("ownerOrganizationId", "The owner must be a partner of the project."))
        refuse_all(errors)
        row = await projects.insert_goal(connection, access.row["id"], title or "", owner, input.due_on)  # type: ignore[arg-type]
        return ProjectGoal.from_row(row)

    goal, errors = await in_transaction(info, work)
    if goal:
        await request_recompute(info, goal.project_id)
    return AddProjectGoalPayload(project_goal=goal, user_errors=errors)


async def update_project_goal(
    info: Info[Context, Any], input: Annotated[UpdateProjectGoalInput, MUTATION_INPUT]
) -> UpdateProjectGoalPayload:
    async def work(connection: asyncpg.Connection) -> ProjectGoal:
        goal_id = decode_global_id(input.id, {"ProjectGoal"})
        goal = await projects.lock_goal(connection, goal_id) if goal_id else None
        if goal is None:
            raise not_found("goal", "id")
        access = await locked_project(connection, info.context.principal, goal["project_id"], missing=("goal", "id"))
        if access.viewer_role is None and not access.is_admin:
            raise not_found("goal", "id")
        principal = info.context.principal
        if not access.manages and goal["owner_organization_id"] != principal.organization_id:
            raise forbidden("Only the goal's owner, the lead partner, moderators and admins update a goal.")
        require_open(access)
        return ProjectGoal.from_row(await projects.update_goal_status(connection, goal_id, input.status.value))  # type: ignore[arg-type]

    goal, errors = await in_transaction(info, work)
    if goal:
        await request_recompute(info, goal.project_id)
    return UpdateProjectGoalPayload(project_goal=goal, user_errors=errors)


async def set_exit_plan(
    info: Info[Context, Any], input: Annotated[SetExitPlanInput, MUTATION_INPUT]
) -> SetExitPlanPayload:
    async def work(connection: asyncpg.Connection) -> CooperationProject:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators set the exit plan.")
        require_open(access)
        errors: list[Refusal] = []
        exit_plan = validation.text(errors, "exitPlan", input.exit_plan, maximum=10_000, required=False)
        refuse_all(errors)
        return CooperationProject.from_row(await projects.set_exit_plan(connection, access.row["id"], exit_plan))

    project, errors = await in_transaction(info, work)
    if project:
        await request_recompute(info, project.id)
    return SetExitPlanPayload(cooperation_project=project, user_errors=errors)


async def publish_project(
    info: Info[Context, Any], input: Annotated[PublishProjectInput, MUTATION_INPUT]
) -> PublishProjectPayload:
    async def work(connection: asyncpg.Connection) -> CooperationProject:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not (access.is_admin or access.viewer_role == "LEAD"):
            raise forbidden("Only admins and the lead partner publish a project.")
        if access.row["phase"] not in ("ACTIVE", "COMPLETED"):
            raise Refusal(
                RefusalCode.INVALID_TRANSITION, "Only ACTIVE or COMPLETED projects are published.", "projectId"
            )
        errors: list[Refusal] = []
        story = validation.text(errors, "story", input.story, maximum=10_000)
        refuse_all(errors)
        if not access.is_admin:
            missing = consent.missing_approvals(await projects.publication_approvals(connection, access.row["id"]))
            if missing:
                raise Refusal(
                    RefusalCode.CONSENT_REQUIRED,
                    f"{len(missing)} partner(s) have not approved the publication yet (approveProjectPublication).",
                    "projectId",
                )
        return CooperationProject.from_row(await projects.publish(connection, access.row["id"], story or ""))

    project, errors = await in_transaction(info, work)
    return PublishProjectPayload(cooperation_project=project, user_errors=errors)


async def _invited_organization(info: Info[Context, Any], connection: asyncpg.Connection, global_id: str) -> tuple:
    """(locked project row, the caller's pending invitation) or a refusal."""
    organization_id = info.context.principal.organization_id
    if organization_id is None:
        raise forbidden("Invitations are answered by the invited organization; admins add partners directly.")
    project_id = project_id_of(global_id)
    project = await projects.lock_project(connection, project_id) if project_id else None
    invitation = await projects.lock_pending_invitation(connection, project_id, organization_id) if project else None
    if invitation is None:
        # no invitation: the project does not exist for the caller (or it is already answered)
        raise not_found("pending invitation of your organization to a project", "projectId")
    return project, invitation


async def accept_project_invitation(
    info: Info[Context, Any], input: Annotated[AcceptProjectInvitationInput, MUTATION_INPUT]
) -> AcceptProjectInvitationPayload:
    async def work(connection: asyncpg.Connection) -> ProjectPartner:
        project, invitation = await _invited_organization(info, connection, input.project_id)
        if project["phase"] in FINAL_PHASES:
            raise Refusal(RefusalCode.INVALID_TRANSITION, f"The project is {project['phase']}.", "projectId")
        roles = await projects.partner_roles(connection, project["id"])
        if invitation["role"] == "LEAD" and "LEAD" in roles.values():
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The project has a lead partner already.", "projectId")
        await projects.answer_invitation(connection, project["id"], invitation["organization_id"], "ACCEPTED")
        row = await projects.insert_partner(
            connection, project["id"], invitation["organization_id"], invitation["role"]
        )
        return ProjectPartner.from_row(row)

    partner, errors = await in_transaction(info, work)
    if partner:
        await request_recompute(info, partner.project_id)
    return AcceptProjectInvitationPayload(project_partner=partner, user_errors=errors)


async def decline_project_invitation(
    info: Info[Context, Any], input: Annotated[DeclineProjectInvitationInput, MUTATION_INPUT]
) -> DeclineProjectInvitationPayload:
    async def work(connection: asyncpg.Connection) -> ProjectInvitation:
        project, invitation = await _invited_organization(info, connection, input.project_id)
        row = await projects.answer_invitation(connection, project["id"], invitation["organization_id"], "DECLINED")
        return ProjectInvitation.from_row(row)

    invitation, errors = await in_transaction(info, work)
    return DeclineProjectInvitationPayload(invitation=invitation, user_errors=errors)


async def approve_project_publication(
    info: Info[Context, Any], input: Annotated[ApproveProjectPublicationInput, MUTATION_INPUT]
) -> ApproveProjectPublicationPayload:
    async def work(connection: asyncpg.Connection) -> ProjectPartner:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if access.is_admin:
            raise forbidden("Approvals are the partners' own; admins publish without them.")
        if access.viewer_role is None:
            raise forbidden("Only the project's partners approve its publication.")
        organization_id = info.context.principal.organization_id
        row = await projects.approve_publication(
            connection,
            access.row["id"],
            organization_id,
            input.appear_on_marketplace,  # type: ignore[arg-type]
        )
        return ProjectPartner.from_row(row)

    partner, errors = await in_transaction(info, work)
    return ApproveProjectPublicationPayload(project_partner=partner, user_errors=errors)
