"""GraphQL types of cooperation projects: the project, its partners and goals."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import asyncpg
import strawberry
from strawberry import relay
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from db import projects, statistics
from domain.disclosure import released_round, trend_point
from domain.trends import TREND_WINDOW, smoothed, trend_slope
from schema.context import Context
from schema.enums import (
    MEAN_COLUMN,
    CooperationKind,
    GoalStatus,
    InvitationStatus,
    PartnerRole,
    ProjectPhase,
    RiskLevel,
    SatisfactionDimension,
    member,
)
from schema.errors import bad_input
from schema.organizations.types import Organization, organization_from_row
from schema.pagination import After, First, build_connection, decode_cursor, page_size
from schema.permissions import (
    ProjectPartnersOnly,
    can_see_project,
    can_see_project_details,
    details_visible_now,
    is_suppressed,
    sees_individual_numbers,
    sees_individual_numbers_now,
    suppressed_now,
    viewer_role,
)
from schema.prefetch import for_partners, now_or_later, prefetch_rounds
from schema.risk.types import ProjectHealth, RiskFlag, flags_for_view
from schema.surveys.types import RoundStatistics, SatisfactionPoint, SurveyRound, SurveyRoundConnection, Trend

if TYPE_CHECKING:
    from schema.surveys.schedule import SurveySchedule

SurveyScheduleType = Annotated["SurveySchedule", strawberry.lazy("schema.surveys.schedule")]


def partners_only() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[ProjectPartnersOnly()], fail_silently=True)]


# fields that check the viewer themselves (`for_partners`) say so in the SDL like those with partners_only()
PARTNERS_ONLY = [ProjectPartnersOnly().schema_directive]


@strawberry.type(
    description="A cooperation project of two or more organizations, from the first assessment to completion."
)
class CooperationProject(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Short title.")
    summary: str | None = strawberry.field(description="What the cooperation is about.")
    kind: CooperationKind = strawberry.field(description="Kind of cooperation.")
    phase: ProjectPhase = strawberry.field(description="Current phase.")
    phase_changed_at: datetime = strawberry.field(description="When the current phase began.")
    started_on: date = strawberry.field(description="When the project started.")
    planned_end_on: date | None = strawberry.field(description="When the partners plan to finish.")
    published: bool = strawberry.field(description="Whether the project is a success story on the marketplace.")
    published_at: datetime | None = strawberry.field(description="When the story was published.")
    story: str | None = strawberry.field(description="The published success story (marketplace).")
    exit_plan_text: strawberry.Private[str | None]
    # reached through the viewer's own pending invitation: it sees every partner it is asked to join
    seen_by_invitee: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "CooperationProject":
        return cls(
            id=row["id"],
            title=row["title"],
            summary=row["summary"],
            kind=member(CooperationKind, row["kind"]),
            phase=member(ProjectPhase, row["phase"]),
            phase_changed_at=row["phase_changed_at"],
            started_on=row["started_on"],
            planned_end_on=row["planned_end_on"],
            published=row["published_at"] is not None,
            published_at=row["published_at"],
            story=row["story"],
            exit_plan_text=row["exit_plan"],
        )

    @strawberry.field(
        description="The agreed exit plan: how the partners part ways. Partners, moderators and admins only.",
        extensions=partners_only(),
    )
    def exit_plan(self) -> str | None:
        return self.exit_plan_text

    @strawberry.field(
        description="The cadence of the project's survey rounds; null: rounds open by hand only. Partners, "
        "moderators and admins only.",
        extensions=partners_only(),
    )
    async def survey_schedule(self, info: Info[Context, Any]) -> SurveyScheduleType | None:
        from schema.surveys.schedule import schedule_of

        return await schedule_of(info, self.id)

    # The fields below return their value at once when a list resolver prefetched it, else an awaitable
    # (schema/prefetch.py); the confidential ones check the viewer the same way (`for_partners`).

    @strawberry.field(
        description="The organizations taking part, with their roles (lead first); invited organizations are not "
        "among them until they accept. On a published project, readers who are neither its partners nor admins "
        "see only the partners that agreed to appear on the marketplace, and readers without a token only their "
        "public profile."
    )
    def partners(self, info: Info[Context, Any]) -> list["ProjectPartner"]:
        loaded = info.context.loaders.partners_by_project.load(self.id)
        # an unpublished project reaches only its partners, admins and (through an invitation) invitees
        full = True if not self.published or self.seen_by_invitee else details_visible_now(info, self.id)
        if full is None:
            # strawberry awaits what a resolver returns; the annotation is the field's GraphQL type
            return cast(list["ProjectPartner"], self._partners_later(info, loaded))
        return now_or_later(loaded, lambda rows: partner_list(info, rows, full))

    async def _partners_later(self, info: Info[Context, Any], loaded: Any) -> list["ProjectPartner"]:
        full = await can_see_project_details(info, self.id)
        return partner_list(info, await loaded, full)

    @strawberry.field(
        description="Invitations to join the project (pending, accepted and declined), oldest first. Partners, "
        "moderators and admins (empty for others).",
        directives=PARTNERS_ONLY,
    )
    def invitations(self, info: Info[Context, Any]) -> list["ProjectInvitation"]:
        return for_partners(
            info,
            self.id,
            [],
            lambda: info.context.loaders.invitations_by_project.load(self.id),
            lambda rows: [ProjectInvitation.from_row(row) for row in rows],
        )

    @strawberry.field(
        description="What the partners expect: goals with owner, due date and status. Partners, moderators and "
        "admins only (empty for others).",
        directives=PARTNERS_ONLY,
    )
    def goals(self, info: Info[Context, Any]) -> list["ProjectGoal"]:
        return for_partners(
            info,
            self.id,
            [],
            lambda: info.context.loaders.goals_by_project.load(self.id),
            lambda rows: [ProjectGoal.from_row(row) for row in rows],
        )

    @strawberry.field(description="The viewer organization's role in this project; null when it is not a partner.")
    async def viewer_role(self, info: Info[Context, Any]) -> PartnerRole | None:
        role = await viewer_role(info, self.id)
        return member(PartnerRole, role) if role else None

    @strawberry.field(description="Survey rounds, newest first. Partners, moderators and admins (empty for others).")
    async def survey_rounds(
        self, info: Info[Context, Any], first: First = None, after: After = None
    ) -> SurveyRoundConnection:
        limit = page_size(first)
        after_key = decode_cursor(after, int)
        rows = []
        if await can_see_project_details(info, self.id):
            rows = await info.context.loaders.rounds_of_project.load(
                (self.id, after_key[0] if after_key else None, limit + 1)
            )
        for row in rows:
            info.context.loaders.round.prime(row["id"], row)
        await prefetch_rounds(info, [row["id"] for row in rows[:limit]])
        return build_connection(SurveyRoundConnection, rows, limit, SurveyRound.from_row, lambda r: (r["sequence"],))

    @strawberry.field(
        description="Statistics of the latest round with answers. Partners, moderators and admins; null before "
        "the first answer. Plain partners get the latest released round (closed, with at least the minimum "
        "group size of answers) while a later round is open or too small; before any round is released, the "
        "latest round with answers, its numbers withheld.",
        directives=PARTNERS_ONLY,
    )
    def latest_statistics(self, info: Info[Context, Any]) -> RoundStatistics | None:
        def build(row: asyncpg.Record | None) -> Any:
            if row is None:
                return None
            hidden = suppressed_now(info, self.id, row)
            if hidden is None:
                return now_or_later(
                    is_suppressed(info, self.id, row),
                    lambda hidden: RoundStatistics.from_row(row, suppressed=hidden),
                )
            return RoundStatistics.from_row(row, suppressed=hidden)

        def load() -> Any:
            # for_partners has looked the viewer's role up by now
            if sees_individual_numbers_now(info, self.id):
                return info.context.loaders.latest_statistics.load(self.id)
            window = (self.id, info.context.settings.min_group_size)
            return now_or_later(
                info.context.loaders.latest_released_statistics.load(window), lambda rows: rows[0] if rows else None
            )

        return for_partners(info, self.id, None, load, build)

    @strawberry.field(
        description="One point per round (the last `last` rounds, oldest first) of a dimension. Partners, "
        "moderators and admins (empty for others).",
        extensions=partners_only(),
    )
    async def satisfaction_trend(
        self,
        info: Info[Context, Any],
        dimension: Annotated[
            SatisfactionDimension, strawberry.argument(description="Which survey score the points are of.")
        ] = SatisfactionDimension.OVERALL,
        last: Annotated[int, strawberry.argument(description="How many of the latest rounds, 1 to 100.")] = 12,
    ) -> list[SatisfactionPoint]:
        if not 1 <= last <= 100:
            raise bad_input("`last` must be between 1 and 100.")
        rows = await info.context.loaders.recent_statistics.load((self.id, last))
        points = []
        for row in rows:
            hidden = await is_suppressed(info, self.id, row)
            mean, suppressed = trend_point(row[MEAN_COLUMN[dimension]], row["response_count"], withheld=hidden)
            points.append(
                SatisfactionPoint(
                    sequence=row["sequence"], mean=mean, response_count=row["response_count"], suppressed=suppressed
                )
            )
        return points

    @strawberry.field(
        description="Direction of each dimension over the recent rounds. Partners, moderators and admins (empty "
        "for others); plain partners get it computed from the released round means only (closed rounds with at "
        "least the minimum group size of answers).",
        extensions=partners_only(),
    )
    async def trends(self, info: Info[Context, Any]) -> list[Trend]:
        order = list(SatisfactionDimension.__members__)
        if await sees_individual_numbers(info, self.id):
            rows = await info.context.loaders.trends.load(self.id)
            return [
                Trend(
                    dimension=member(SatisfactionDimension, row["dimension"]),
                    slope=row["slope"],
                    smoothed=row["smoothed"],
                    rounds_used=row["rounds_used"],
                )
                for row in sorted(rows, key=lambda r: order.index(r["dimension"]))
            ]
        # plain partners: the same maths over the released round means only
        recent = await info.context.loaders.recent_statistics.load((self.id, TREND_WINDOW))
        minimum = info.context.settings.min_group_size
        trends = []
        for dimension in SatisfactionDimension:
            values = [
                float(row[MEAN_COLUMN[dimension]])
                for row in recent
                if row["response_count"] > 0 and released_round(row["response_count"], row["closed"], minimum)
            ]
            slope, level = trend_slope(values), smoothed(values)
            trends.append(Trend(dimension=dimension, slope=slope, smoothed=level, rounds_used=len(values)))
        return trends if any(t.rounds_used for t in trends) else []

    @strawberry.field(
        description="Health score and risk level. Partners, moderators and admins; null before the first computation.",
        directives=PARTNERS_ONLY,
    )
    def health(self, info: Info[Context, Any]) -> ProjectHealth | None:
        def build(row: asyncpg.Record | None) -> ProjectHealth | None:
            if row is None:
                return None
            # plain partners read the health computed from released values only (domain/disclosure.py)
            prefix = "" if sees_individual_numbers_now(info, self.id) else "partner_"
            if row[f"{prefix}score"] is None:
                return None
            return ProjectHealth(
                score=row[f"{prefix}score"],
                risk_level=member(RiskLevel, row[f"{prefix}risk_level"]),
                computed_at=row["computed_at"],
                up_to_date=bool(row["up_to_date"]),
            )

        return for_partners(info, self.id, None, lambda: info.context.loaders.health.load(self.id), build)

    @strawberry.field(
        description="Risk flags, most severe first; resolved ones too with includeResolved. Partners, moderators "
        "and admins (empty for others).",
        directives=PARTNERS_ONLY,
    )
    def risk_flags(
        self,
        info: Info[Context, Any],
        include_resolved: Annotated[
            bool, strawberry.argument(description="Also the resolved flags, the project's risk history.")
        ] = False,
    ) -> list[RiskFlag]:
        return for_partners(
            info,
            self.id,
            [],
            lambda: info.context.loaders.flags_of_project.load((self.id, include_resolved)),
            lambda rows: flags_for_view(rows, full=bool(sees_individual_numbers_now(info, self.id))),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["CooperationProject | None"]:
        rows = await info.context.loaders.project.load_many([int(i) for i in node_ids])
        found = [cls.from_row(row) if row is not None else None for row in rows]
        return [p if p is not None and await can_see_project(info, p) else None for p in found]


def partner_list(info: Info[Context, Any], rows: list[asyncpg.Record], full: bool) -> list["ProjectPartner"]:
    """A project's partners as the viewer may see them: all (`full`), or those listed on the marketplace."""
    public = not info.context.principal.is_authenticated
    return [ProjectPartner.from_row(row, public=public) for row in rows if full or row["on_marketplace"]]


@strawberry.type(description="An organization's participation in a project (it accepted, or an admin added it).")
class ProjectPartner(relay.Node):
    id: relay.NodeID[str]
    project_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    role: PartnerRole = strawberry.field(description="Lead, partner or moderator.")
    joined_on: date = strawberry.field(description="When the organization joined the project.")
    left_on: date | None = strawberry.field(description="When it left, if it did.")
    publication_approved_at: datetime | None = strawberry.field(
        description="When the partner approved publishing the project on the marketplace "
        "(approveProjectPublication); null before."
    )
    on_marketplace: bool = strawberry.field(
        description="Whether the partner agreed to appear among the partners of the published story. Readers "
        "who are not partners of the project see only the partners for which this is true."
    )

    # built with the partner row (it carries the organization's columns): a plain field resolves faster
    # than a resolver, and the partner lists of a dashboard hold a hundred of them
    organization: Organization = strawberry.field(description="The partner organization.")

    @classmethod
    def from_row(cls, row: asyncpg.Record, public: bool = False) -> "ProjectPartner":
        """From a partner row with its organization's `o_` columns (db.projects.PARTNER_WITH_ORGANIZATION);
        `public`: with the organization's public profile only."""
        return cls(
            id=f"{row['project_id']}:{row['organization_id']}",
            project_id=row["project_id"],
            organization_id=row["organization_id"],
            role=member(PartnerRole, row["role"]),
            joined_on=row["joined_on"],
            left_on=row["left_on"],
            publication_approved_at=row["publication_approved_at"],
            on_marketplace=row["on_marketplace"],
            organization=organization_from_row(row, prefix="o_", public=public),
        )

    @strawberry.field(description="The project.")
    async def project(self, info: Info[Context, Any]) -> CooperationProject:
        return CooperationProject.from_row(await info.context.loaders.project.load(self.project_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["ProjectPartner | None"]:
        keys = []
        for node_id in node_ids:
            project_id, _, organization_id = node_id.partition(":")
            keys.append((int(project_id), int(organization_id)) if f"{project_id}{organization_id}".isdigit() else None)
        results: list[ProjectPartner | None] = []
        for key in keys:
            row = await info.context.loaders.partner.load(key) if key else None
            if key is None or row is None:
                results.append(None)
                continue
            project = await info.context.loaders.project.load(key[0])
            visible = project is not None and await can_see_project(info, CooperationProject.from_row(project))
            # a published project's unlisted partners exist only for its partners and admins
            if visible and not row["on_marketplace"]:
                visible = await can_see_project_details(info, key[0])
            results.append(cls.from_row(row) if visible else None)
        return results


@strawberry.type(
    description="An invitation of an organization to join a project with a role. The organization becomes a "
    "partner only when it accepts (acceptProjectInvitation); until then it is no partner for anything: it sees "
    "none of the project's confidential details, is not expected to answer and cannot answer. Visible to the "
    "invited organization, the project's partners and admins."
)
class ProjectInvitation(relay.Node):
    id: relay.NodeID[str]
    project_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    invited_by_id: strawberry.Private[int | None]
    role: PartnerRole = strawberry.field(description="The role offered: LEAD or PARTNER.")
    status: InvitationStatus = strawberry.field(description="Waiting, accepted or declined.")
    invited_at: datetime = strawberry.field(description="When the invitation was sent (or renewed).")
    answered_at: datetime | None = strawberry.field(description="When it was accepted or declined.")
    organization: Organization = strawberry.field(description="The invited organization.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "ProjectInvitation":
        """From an invitation row with its organization's `o_` columns (db.projects.INVITATION_WITH_ORGANIZATION)."""
        return cls(
            id=f"{row['project_id']}:{row['organization_id']}",
            project_id=row["project_id"],
            organization_id=row["organization_id"],
            invited_by_id=row["invited_by"],
            role=member(PartnerRole, row["role"]),
            status=member(InvitationStatus, row["status"]),
            invited_at=row["invited_at"],
            answered_at=row["answered_at"],
            organization=organization_from_row(row, prefix="o_"),
        )

    @strawberry.field(description="The organization that sent the invitation; null when an admin did.")
    async def invited_by(self, info: Info[Context, Any]) -> Organization | None:
        if self.invited_by_id is None:
            return None
        return organization_from_row(await info.context.loaders.organization.load(self.invited_by_id))

    @strawberry.field(
        description="The project: title, summary, kind, phase and partners, so that the invited organization "
        "knows what and with whom it is asked to join (moderators included); its confidential details only once "
        "it is a partner."
    )
    async def project(self, info: Info[Context, Any]) -> CooperationProject:
        project = CooperationProject.from_row(await info.context.loaders.project.load(self.project_id))
        invitee = self.organization_id == info.context.principal.organization_id
        project.seen_by_invitee = invitee and self.status == InvitationStatus.INVITED
        return project

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["ProjectInvitation | None"]:
        principal = info.context.principal
        results: list[ProjectInvitation | None] = []
        for node_id in node_ids:
            project_id, _, organization_id = node_id.partition(":")
            if not f"{project_id}{organization_id}".isdigit() or not organization_id:
                results.append(None)
                continue
            row = await info.context.loaders.invitation.load((int(project_id), int(organization_id)))
            visible = row is not None and (
                row["organization_id"] == principal.organization_id
                or await can_see_project_details(info, row["project_id"])
            )
            results.append(cls.from_row(row) if visible else None)
        return results


@strawberry.type(description="Something a partner expects from the cooperation, written down (managed expectations).")
class ProjectGoal(relay.Node):
    id: relay.NodeID[int]
    project_id: strawberry.Private[int]
    owner_organization_id: strawberry.Private[int]
    title: str = strawberry.field(description="What is expected.")
    due_on: date | None = strawberry.field(description="When it is due.")
    status: GoalStatus = strawberry.field(description="Open, achieved, missed or dropped.")
    updated_at: datetime = strawberry.field(description="Last change.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "ProjectGoal":
        return cls(
            id=row["id"],
            project_id=row["project_id"],
            owner_organization_id=row["owner_organization_id"],
            title=row["title"],
            due_on=row["due_on"],
            status=member(GoalStatus, row["status"]),
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="The partner who expects it.")
    async def owner(self, info: Info[Context, Any]) -> Organization:
        return organization_from_row(await info.context.loaders.organization.load(self.owner_organization_id))

    @strawberry.field(description="The project.")
    async def project(self, info: Info[Context, Any]) -> CooperationProject:
        return CooperationProject.from_row(await info.context.loaders.project.load(self.project_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["ProjectGoal | None"]:
        rows = await info.context.loaders.goal.load_many([int(i) for i in node_ids])
        return [
            cls.from_row(row) if row is not None and await can_see_project_details(info, row["project_id"]) else None
            for row in rows
        ]


@dataclass(frozen=True)
class NoProjects:
    """A filter that matches nothing (an id that names no organization)."""


@dataclass(frozen=True)
class ProjectsOfOrganization:
    """`Organization.projects`: the projects an organization takes part in, as the viewer may see them."""

    organization_id: int


@dataclass(frozen=True)
class MarketplaceProjects:
    """Published success stories."""


@dataclass(frozen=True)
class AtRiskProjects:
    """`atRiskProjects`: projects whose most severe open flag is at least `min_level`."""

    min_level: str


@dataclass(frozen=True)
class ListedProjects:
    """`cooperationProjects` with its filters."""

    phase: str | None = None
    organization_id: int | None = None
    at_risk: bool | None = None


# which list a connection pages through, and so which query counts it
ProjectList = NoProjects | ProjectsOfOrganization | MarketplaceProjects | AtRiskProjects | ListedProjects


@strawberry.type(name="CooperationProjectConnection", description="A page of cooperation projects.")
class CooperationProjectConnection(relay.Connection[CooperationProject]):
    listed: strawberry.Private[ProjectList]

    @strawberry.field(description="Number of projects in the list (all pages).")
    async def total_count(self, info: Info[Context, Any]) -> int:
        principal = info.context.principal
        member_of = None if principal.is_admin else principal.organization_id
        match self.listed:
            case NoProjects():
                return 0
            case ProjectsOfOrganization(organization_id=organization_id):
                return await info.context.loaders.project_count.load(organization_id)
            case MarketplaceProjects():
                async with info.context.pool.acquire() as connection:
                    return await projects.count_marketplace(connection)
            case AtRiskProjects(min_level=min_level):
                async with info.context.pool.acquire() as connection:
                    return await statistics.count_at_risk_projects(connection, member_of=member_of, min_level=min_level)
            case ListedProjects(phase=phase, organization_id=organization_id, at_risk=at_risk):
                async with info.context.pool.acquire() as connection:
                    return await projects.count_projects(
                        connection, member_of=member_of, phase=phase, organization_id=organization_id, at_risk=at_risk
                    )
