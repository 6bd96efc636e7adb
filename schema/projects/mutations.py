"""Mutations of the projects slice: create, partners, phases, goals, exit plan, publication."""

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import projects
from schema.context import Context
from schema.enums import CooperationKind, GoalStatus, PartnerRole, ProjectPhase
from schema.ids import decode_global_id, decode_organization_id, project_id_of
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
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


async def create_cooperation_project(
    info: Info[Context, Any], input: Annotated[CreateCooperationProjectInput, MUTATION_INPUT]
) -> CreateCooperationProjectPayload:
    context = info.context
    new = projects.NewProject(
        title=input.title,
        kind=input.kind.value,
        partners=[(decode_organization_id(p.organization_id), p.role.value) for p in input.partners],
        summary=input.summary,
        planned_end_on=input.planned_end_on,
    )
    row, errors = await refusals_as_user_errors(
        info, lambda: projects.create_project(context.runtime, context.principal, new)
    )
    return CreateCooperationProjectPayload(
        cooperation_project=CooperationProject.from_row(row) if row else None, user_errors=errors
    )


async def add_project_partner(
    info: Info[Context, Any], input: Annotated[AddProjectPartnerInput, MUTATION_INPUT]
) -> AddProjectPartnerPayload:
    context = info.context
    added, errors = await refusals_as_user_errors(
        info,
        lambda: projects.add_partner(
            context.runtime,
            context.principal,
            project_id_of(input.project_id),
            decode_organization_id(input.organization_id),
            input.role.value,
        ),
    )
    return AddProjectPartnerPayload(
        project_partner=ProjectPartner.from_row(added.partner) if isinstance(added, projects.Joined) else None,
        invitation=ProjectInvitation.from_row(added.invitation) if isinstance(added, projects.Invited) else None,
        user_errors=errors,
    )


async def advance_project_phase(
    info: Info[Context, Any], input: Annotated[AdvanceProjectPhaseInput, MUTATION_INPUT]
) -> AdvanceProjectPhasePayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: projects.advance_phase(
            context.runtime, context.principal, project_id_of(input.project_id), input.to.value
        ),
    )
    return AdvanceProjectPhasePayload(
        cooperation_project=CooperationProject.from_row(row) if row else None, user_errors=errors
    )


async def add_project_goal(
    info: Info[Context, Any], input: Annotated[AddProjectGoalInput, MUTATION_INPUT]
) -> AddProjectGoalPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: projects.add_goal(
            context.runtime,
            context.principal,
            project_id_of(input.project_id),
            input.title,
            decode_organization_id(input.owner_organization_id),
            input.due_on,
        ),
    )
    return AddProjectGoalPayload(project_goal=ProjectGoal.from_row(row) if row else None, user_errors=errors)


async def update_project_goal(
    info: Info[Context, Any], input: Annotated[UpdateProjectGoalInput, MUTATION_INPUT]
) -> UpdateProjectGoalPayload:
    context = info.context
    goal_id = decode_global_id(input.id, {"ProjectGoal"})
    row, errors = await refusals_as_user_errors(
        info, lambda: projects.update_goal(context.runtime, context.principal, goal_id, input.status.value)
    )
    return UpdateProjectGoalPayload(project_goal=ProjectGoal.from_row(row) if row else None, user_errors=errors)


async def set_exit_plan(
    info: Info[Context, Any], input: Annotated[SetExitPlanInput, MUTATION_INPUT]
) -> SetExitPlanPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: projects.set_exit_plan(
            context.runtime, context.principal, project_id_of(input.project_id), input.exit_plan
        ),
    )
    return SetExitPlanPayload(cooperation_project=CooperationProject.from_row(row) if row else None, user_errors=errors)


async def publish_project(
    info: Info[Context, Any], input: Annotated[PublishProjectInput, MUTATION_INPUT]
) -> PublishProjectPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info, lambda: projects.publish(context.runtime, context.principal, project_id_of(input.project_id), input.story)
    )
    return PublishProjectPayload(
        cooperation_project=CooperationProject.from_row(row) if row else None, user_errors=errors
    )


async def accept_project_invitation(
    info: Info[Context, Any], input: Annotated[AcceptProjectInvitationInput, MUTATION_INPUT]
) -> AcceptProjectInvitationPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info, lambda: projects.accept_invitation(context.runtime, context.principal, project_id_of(input.project_id))
    )
    return AcceptProjectInvitationPayload(
        project_partner=ProjectPartner.from_row(row) if row else None, user_errors=errors
    )


async def decline_project_invitation(
    info: Info[Context, Any], input: Annotated[DeclineProjectInvitationInput, MUTATION_INPUT]
) -> DeclineProjectInvitationPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info, lambda: projects.decline_invitation(context.runtime, context.principal, project_id_of(input.project_id))
    )
    return DeclineProjectInvitationPayload(
        invitation=ProjectInvitation.from_row(row) if row else None, user_errors=errors
    )


async def approve_project_publication(
    info: Info[Context, Any], input: Annotated[ApproveProjectPublicationInput, MUTATION_INPUT]
) -> ApproveProjectPublicationPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: projects.approve_publication(
            context.runtime, context.principal, project_id_of(input.project_id), input.appear_on_marketplace
        ),
    )
    return ApproveProjectPublicationPayload(
        project_partner=ProjectPartner.from_row(row) if row else None, user_errors=errors
    )
