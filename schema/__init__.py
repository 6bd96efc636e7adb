"""The GraphQL schema, sliced by domain: organizations, projects (surveys, risk, portfolio follow)."""

import logging

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from partnerpulse.settings import Settings
from schema import sessions as session_mutations
from schema.answer_link import AnswerLink, AnswerLinkScope, resolve_answer_link
from schema.compiled import CompiledExecutor
from schema.errors import MaskInternalErrors, should_mask
from schema.extensions import OperationName, RequireOperationName, SubscriptionsOverWebSocket
from schema.limits import MutationRateLimit, QueryCost, RejectNulCharacters
from schema.node import resolve_node
from schema.organizations import mutations as organization_mutations
from schema.organizations.queries import resolve_organizations, resolve_smes, resolve_startups
from schema.organizations.types import (
    Corporate,
    OrganizationConnection,
    ResearchInstitute,
    Sme,
    SmeConnection,
    Startup,
    StartupConnection,
)
from schema.people import mutations as people_mutations
from schema.people.types import ContactPerson
from schema.portfolio.queries import resolve_satisfaction_trends
from schema.portfolio.types import TrendSeries
from schema.projects import mutations as project_mutations
from schema.projects.queries import resolve_cooperation_projects, resolve_marketplace
from schema.projects.types import CooperationProjectConnection
from schema.risk import mutations as risk_mutations
from schema.risk.queries import resolve_at_risk_projects
from schema.risk.subscriptions import risk_flag_changed
from schema.sessions import PersonSession, resolve_sessions
from schema.surveys import mutations as survey_mutations
from schema.surveys import schedule as survey_schedule
from schema.viewer import Viewer, resolve_viewer

log = logging.getLogger("partnerpulse.graphql")
DOCUMENT_CACHE_SIZE = 256  # distinct documents kept parsed and validated


@strawberry.type(description="Read the network. Without a token only `marketplace` answers.")
class Query:
    node: relay.Node | None = strawberry.field(
        resolver=resolve_node,
        description="Any object by its global id; null when it does not exist or you may not see it.",
    )
    viewer: Viewer = strawberry.field(resolver=resolve_viewer, description="Who am I: role and organization.")
    organizations: OrganizationConnection = strawberry.field(
        resolver=resolve_organizations,
        description="The directory of member organizations, by name. `search` matches part of the name.",
    )
    startups: StartupConnection = strawberry.field(resolver=resolve_startups, description="Startups, by name.")
    smes: SmeConnection = strawberry.field(resolver=resolve_smes, description="SMEs (Mittelstand), by name.")
    cooperation_projects: CooperationProjectConnection = strawberry.field(
        resolver=resolve_cooperation_projects,
        description="Projects you take part in (admins: all), newest first. `organizationId`: projects of that "
        "organization; `atRisk`: projects with (true) or without (false) an open risk flag.",
    )
    at_risk_projects: CooperationProjectConnection = strawberry.field(
        resolver=resolve_at_risk_projects,
        description="Projects with open risk flags of at least `minSeverity`, most severe first (admins: all; "
        "members: their own).",
    )
    satisfaction_trends: list[TrendSeries] = strawberry.field(
        resolver=resolve_satisfaction_trends,
        description="Portfolio: monthly mean satisfaction per organization kind or industry. Admins see it live "
        "(refreshed by a worker at least once a minute). Members see closed months only, each published once when "
        "it closed and never changed afterwards, with a mean only where at least the minimum group size of "
        "organizations stands behind it and no other cell of either grouping gives it away.",
    )
    answer_link: AnswerLink | None = strawberry.field(
        resolver=resolve_answer_link,
        description="With an e-mailed answer link's token as the bearer token: the round it answers, for the answer "
        "page. Null for any other token. Such a token reads only this and calls only `submitSurveyResponse`.",
    )
    sessions: list[PersonSession] = strawberry.field(
        resolver=resolve_sessions,
        description="People signed in with an e-mailed link whose sessions are live, newest first, at most 500. "
        "Admins only (empty for everyone else); `revokeSession` ends one.",
    )
    marketplace: CooperationProjectConnection = strawberry.field(
        resolver=resolve_marketplace,
        description="Published success stories, newest first. No token needed. Published only with every "
        "partner's approval (or by an admin); `partners` lists only those that agreed to appear.",
    )


@strawberry.type(description="Change the network. Expected failures come back as `userErrors`; nothing changes then.")
class Mutation:
    create_organization = strawberry.mutation(
        resolver=organization_mutations.create_organization, description="Add a member organization. Admins only."
    )
    update_organization = strawberry.mutation(
        resolver=organization_mutations.update_organization,
        description="Change an organization's profile. Admins or the organization itself.",
    )
    create_cooperation_project = strawberry.mutation(
        resolver=project_mutations.create_cooperation_project,
        description="Start a cooperation project (phase ASSESSMENT) with its partners.",
    )
    add_project_partner = strawberry.mutation(
        resolver=project_mutations.add_project_partner,
        description="Add a partner to a project (admins), or invite one (lead partner, moderators).",
    )
    advance_project_phase = strawberry.mutation(
        resolver=project_mutations.advance_project_phase,
        description="Move a project one phase forward, or to TERMINATED.",
    )
    add_project_goal = strawberry.mutation(
        resolver=project_mutations.add_project_goal, description="Write down what a partner expects from the project."
    )
    update_project_goal = strawberry.mutation(
        resolver=project_mutations.update_project_goal,
        description="Mark a goal achieved, missed or dropped (or open again).",
    )
    set_exit_plan = strawberry.mutation(
        resolver=project_mutations.set_exit_plan, description="Agree or clear the project's exit plan."
    )
    open_survey_round = strawberry.mutation(
        resolver=survey_mutations.open_survey_round, description="Open the next pulse survey round of a project."
    )
    set_survey_schedule = strawberry.mutation(
        resolver=survey_schedule.set_survey_schedule,
        description="Set the cadence of a project's survey rounds: a job opens and closes them by themselves.",
    )
    remove_survey_schedule = strawberry.mutation(
        resolver=survey_schedule.remove_survey_schedule,
        description="Remove a project's survey cadence: rounds are then opened and closed by hand only.",
    )
    close_survey_round = strawberry.mutation(
        resolver=survey_mutations.close_survey_round, description="Close a survey round."
    )
    submit_survey_response = strawberry.mutation(
        resolver=survey_mutations.submit_survey_response,
        description="Answer an open round for your organization. Safe to retry with the same idempotencyKey.",
    )
    acknowledge_risk_flag = strawberry.mutation(
        resolver=risk_mutations.acknowledge_risk_flag, description="Take note of a risk flag."
    )
    publish_project = strawberry.mutation(
        resolver=project_mutations.publish_project,
        description="Publish an ACTIVE or COMPLETED project as a marketplace success story.",
    )
    accept_project_invitation = strawberry.mutation(
        resolver=project_mutations.accept_project_invitation,
        description="Accept your organization's invitation to a project: it becomes a partner with the offered role.",
    )
    decline_project_invitation = strawberry.mutation(
        resolver=project_mutations.decline_project_invitation,
        description="Decline your organization's invitation to a project.",
    )
    approve_project_publication = strawberry.mutation(
        resolver=project_mutations.approve_project_publication,
        description="Approve publishing a project you take part in, and choose whether the marketplace lists you.",
    )
    add_contact_person = strawberry.mutation(
        resolver=people_mutations.add_contact_person,
        description="Add a person who answers for an organization. Admins or the organization itself.",
    )
    remove_contact_person = strawberry.mutation(
        resolver=people_mutations.remove_contact_person,
        description="Remove a contact person and their data; the organization's answers stay.",
    )
    set_contact_person_reminders = strawberry.mutation(
        resolver=people_mutations.set_contact_person_reminders,
        description="Opt a contact person in or out of survey reminders.",
    )

    request_sign_in_link = strawberry.mutation(
        resolver=session_mutations.request_sign_in_link,
        description="E-mail a contact person a sign-in link (single use, valid for minutes). No token needed; the "
        "answer does not tell whether the address is known. Rate-limited per address and per client.",
    )
    sign_out = strawberry.mutation(
        resolver=session_mutations.sign_out,
        description="End the caller's session (signed in with an e-mailed link) and clear its cookie.",
    )
    revoke_session = strawberry.mutation(
        resolver=session_mutations.revoke_session, description="End a person's session at once. Admins only."
    )


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws) at /graphql.")
class Subscription:
    risk_flag_changed = strawberry.subscription(  # typed by the resolver: AsyncGenerator[RiskFlag, None]
        resolver=risk_flag_changed,
        description="A flag raised, resolved or acknowledged, for projects you may see. Authenticate with "
        '{"Authorization": "Bearer <token>"} in the connection_init payload.',
    )


class PartnerPulseSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if should_mask(error):
                log.error("resolver failed", exc_info=error.original_error, extra={"path": error.path})
            else:
                log.info("client error", extra={"error": error.message, "path": error.path})


def create_schema(settings: Settings | None = None) -> PartnerPulseSchema:
    """The schema with the limits of the settings (defaults when none are given)."""
    settings = settings or Settings()
    # The limiters' rule classes are built once: ValidationCache keys on them, so rule classes made afresh per
    # request (as the limiters' own factories would) never hit the cache. Parsing and validating the same
    # document again is most of a small request's cost; both caches are bounded LRUs.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list = [
        MaskInternalErrors,
        OperationName,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        RequireOperationName,
        SubscriptionsOverWebSocket,
        AnswerLinkScope,
        lambda: QueryCost(budget=settings.max_query_cost),
        RejectNulCharacters,
        MutationRateLimit,
    ]
    return PartnerPulseSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Startup, Sme, Corporate, ResearchInstitute, ContactPerson],
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": settings.max_batch_operations}),
        execution_context_class=CompiledExecutor if settings.compiled_execution else None,
    )


# the default schema: SDL, `partnerpulse schema print`
schema = create_schema()
