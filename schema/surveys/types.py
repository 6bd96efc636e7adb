"""GraphQL types of pulse surveys: rounds, (confidential) responses, and the statistics workers store."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.disclosure import release_partition
from schema.context import Context
from schema.enums import MEAN_COLUMN, OrganizationKind, RoundStatus, SatisfactionDimension, member
from schema.organizations.types import Organization, organization_from_row
from schema.permissions import can_see_project_details, sees_individual_numbers
from schema.prefetch import now_or_later

if TYPE_CHECKING:
    from schema.projects.types import CooperationProject

Project = Annotated["CooperationProject", strawberry.lazy("schema.projects.types")]
SUPPRESSED = (
    "True when you are a plain partner and the numbers are not released to you: the round is still open, or "
    "fewer organizations than the minimum group size answered (for a kind: or its mean would follow from the "
    "others). The numbers are then null. Moderators and admins always see them."
)

MeanDimension = Annotated[SatisfactionDimension, strawberry.argument(description="Which survey score the mean is of.")]


@strawberry.type(
    description="One organization's answer to one survey round. Confidential: visible to the "
    "answering organization, the project's moderators and admins."
)
class SurveyResponse(relay.Node):
    id: relay.NodeID[int]
    round_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    overall: int = strawberry.field(description="Overall satisfaction, 1-5.")
    expectations_met: int = strawberry.field(description="Were expectations met? 1-5.")
    mutual_benefit: int = strawberry.field(description="Is it a win-win? 1-5.")
    decision_speed: int = strawberry.field(description="Do decisions fit our speed? 1-5.")
    communication_trust: int = strawberry.field(description="Open communication and trust, 1-5.")
    continue_likelihood: int = strawberry.field(description="How likely we continue the cooperation, 0-10.")
    comment: str | None = strawberry.field(description="Free text, at most 2,000 characters.")
    submitted_at: datetime = strawberry.field(description="When the answer arrived.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "SurveyResponse":
        return cls(
            id=row["id"],
            round_id=row["round_id"],
            organization_id=row["organization_id"],
            overall=row["overall"],
            expectations_met=row["expectations_met"],
            mutual_benefit=row["mutual_benefit"],
            decision_speed=row["decision_speed"],
            communication_trust=row["communication_trust"],
            continue_likelihood=row["continue_likelihood"],
            comment=row["comment"],
            submitted_at=row["submitted_at"],
        )

    @strawberry.field(description="The round answered.")
    async def round(self, info: Info[Context, Any]) -> "SurveyRound":
        return SurveyRound.from_row(await info.context.loaders.round.load(self.round_id))

    @strawberry.field(description="The answering organization.")
    async def organization(self, info: Info[Context, Any]) -> Organization:
        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["SurveyResponse | None"]:
        rows = await info.context.loaders.response.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row and await may_read_response(info, row) else None for row in rows]


async def may_read_response(info: Info[Context, Any], row: asyncpg.Record) -> bool:
    principal = info.context.principal
    if principal.is_admin or row["organization_id"] == principal.organization_id:
        return True
    round_row = await info.context.loaders.round.load(row["round_id"])
    return await sees_individual_numbers(info, round_row["project_id"])


@strawberry.type(description="The invitation of one organization to answer a round, and what became of it.")
class SurveyInvitation:
    organization_id: strawberry.Private[int]
    sent_at: datetime | None = strawberry.field(
        description="When the first invitation mail to one of its contact persons was sent; null: not yet (or "
        "the organization has no contact person)."
    )
    reminded_at: datetime | None = strawberry.field(description="When the latest reminder was sent; null: none.")
    answered_at: datetime | None = strawberry.field(description="When the organization answered; null: not yet.")

    @strawberry.field(description="The invited organization.")
    async def organization(self, info: Info[Context, Any]) -> Organization:
        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))


@strawberry.type(description="One pulse of a project: every non-moderator partner is expected to answer.")
class SurveyRound(relay.Node):
    id: relay.NodeID[int]
    project_id: strawberry.Private[int]
    sequence: int = strawberry.field(description="1 for the project's first round, then 2, 3, …")
    status: RoundStatus = strawberry.field(description="OPEN while answers are taken.")
    opened_at: datetime = strawberry.field(description="When the round opened.")
    closed_at: datetime | None = strawberry.field(description="When it closed.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "SurveyRound":
        return cls(
            id=row["id"],
            project_id=row["project_id"],
            sequence=row["sequence"],
            status=member(RoundStatus, row["status"]),
            opened_at=row["opened_at"],
            closed_at=row["closed_at"],
        )

    @strawberry.field(description="How many partners have answered.")
    def response_count(self, info: Info[Context, Any]) -> int:
        return now_or_later(info.context.loaders.round_counts.load(self.id), lambda counts: counts["responses"])

    @strawberry.field(description="How many answers are expected: the non-moderator partners when it opened.")
    def expected_responses(self, info: Info[Context, Any]) -> int:
        return now_or_later(info.context.loaders.round_counts.load(self.id), lambda counts: counts["expected"])

    @strawberry.field(description="Your organization's answer to this round, if it gave one.")
    async def my_response(self, info: Info[Context, Any]) -> SurveyResponse | None:
        row = await info.context.loaders.my_response.load(self.id)
        return SurveyResponse.from_row(row) if row else None

    @strawberry.field(description="Every answer of the round: moderators and admins only (empty for others).")
    async def responses(self, info: Info[Context, Any]) -> list[SurveyResponse]:
        if not await sees_individual_numbers(info, self.project_id):
            return []
        return [SurveyResponse.from_row(row) for row in await info.context.loaders.responses_by_round.load(self.id)]

    @strawberry.field(
        description="Who was invited, sent and reminded, and who answered: moderators and admins only (empty for "
        "others)."
    )
    async def invitations(self, info: Info[Context, Any]) -> list[SurveyInvitation]:
        if not await sees_individual_numbers(info, self.project_id):
            return []
        rows = await info.context.loaders.invitations_of_round.load(self.id)
        return [
            SurveyInvitation(
                organization_id=row["organization_id"],
                sent_at=row["sent_at"],
                reminded_at=row["reminded_at"],
                answered_at=row["answered_at"],
            )
            for row in rows
        ]

    @strawberry.field(description="The project.")
    async def project(self, info: Info[Context, Any]) -> Project:
        from schema.projects.types import CooperationProject

        return CooperationProject.from_row(await info.context.loaders.project.load(self.project_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["SurveyRound | None"]:
        rows = await info.context.loaders.round.load_many([int(i) for i in node_ids])
        return [
            cls.from_row(row) if row and await can_see_project_details(info, row["project_id"]) else None
            for row in rows
        ]


@strawberry.type(name="SurveyRoundConnection", description="A page of survey rounds, newest first.")
class SurveyRoundConnection(relay.Connection[SurveyRound]):
    pass


@strawberry.type(description="Mean scores of one kind of organization in a round (the startup/SME asymmetry).")
class KindMean:
    kind: OrganizationKind = strawberry.field(description="The kind of organization.")
    response_count: int = strawberry.field(description="Answers of this kind.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    means: strawberry.Private[dict[SatisfactionDimension, float | None]]

    @strawberry.field(description="Mean score of this kind on a dimension (default OVERALL).")
    def mean(self, dimension: MeanDimension = SatisfactionDimension.OVERALL) -> float | None:
        return None if self.suppressed else self.means[dimension]


@strawberry.type(description="Statistics of one round, computed by the workers from the answers.")
class RoundStatistics:
    round_id: strawberry.Private[int]
    project_id: strawberry.Private[int]
    response_count: int = strawberry.field(description="Answers behind the numbers.")
    expected_responses: int = strawberry.field(description="Answers expected.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    means: strawberry.Private[dict[SatisfactionDimension, float | None]]
    nps_value: strawberry.Private[float | None]
    computed_at: datetime = strawberry.field(description="When a worker computed them.")

    @classmethod
    def from_row(cls, row: asyncpg.Record, *, suppressed: bool) -> "RoundStatistics":
        return cls(
            round_id=row["round_id"],
            project_id=row["project_id"],
            response_count=row["response_count"],
            expected_responses=row["expected_count"],
            suppressed=suppressed,
            means={dimension: row[column] for dimension, column in MEAN_COLUMN.items()},
            nps_value=row["nps"],
            computed_at=row["computed_at"],
        )

    @strawberry.field(description="The round.")
    async def round(self, info: Info[Context, Any]) -> SurveyRound:
        return SurveyRound.from_row(await info.context.loaders.round.load(self.round_id))

    @strawberry.field(description="Mean score on a dimension (default OVERALL); null when suppressed.")
    def mean(self, dimension: MeanDimension = SatisfactionDimension.OVERALL) -> float | None:
        return None if self.suppressed else self.means[dimension]

    @strawberry.field(
        description="Net promoter score of continueLikelihood in points (-100 … 100); null when suppressed. On a "
        "handful of answers it is very uncertain (±66 points at 5 answers): no rule uses it."
    )
    def nps(self) -> float | None:
        return None if self.suppressed else self.nps_value

    @strawberry.field(
        description="Means per kind of organization. For plain partners a kind is suppressed below the minimum "
        "group size, and so is the next smallest kind whenever the suppressed ones together would hold fewer than "
        "that (their mean would follow from the round's mean and the others)."
    )
    async def mean_by_kind(self, info: Info[Context, Any]) -> list[KindMean]:
        rows = await info.context.loaders.kind_statistics.load(self.round_id)
        if await sees_individual_numbers(info, self.project_id):
            shown = {row["kind"] for row in rows}
        elif self.suppressed:
            shown = set()
        else:
            counts = {row["kind"]: row["response_count"] for row in rows}
            shown = release_partition(counts, info.context.settings.min_group_size)
        return [
            KindMean(
                kind=member(OrganizationKind, row["kind"]),
                response_count=row["response_count"],
                suppressed=row["kind"] not in shown,
                means={dimension: row[column] for dimension, column in MEAN_COLUMN.items()},
            )
            for row in rows
        ]


@strawberry.type(description="One round's point of a satisfaction trend.")
class SatisfactionPoint:
    sequence: int = strawberry.field(description="The round's sequence number.")
    mean: float | None = strawberry.field(description="Mean score; null without answers or when suppressed.")
    response_count: int = strawberry.field(description="Answers behind the mean.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="Direction of a dimension over the recent rounds with answers.")
class Trend:
    dimension: SatisfactionDimension = strawberry.field(description="The dimension.")
    slope: float | None = strawberry.field(
        description="Change per round: least squares over 3-4 rounds, Theil-Sen (robust to one odd round) from 5."
    )
    smoothed: float | None = strawberry.field(
        description="Exponentially smoothed level, the latest round weighing most."
    )
    rounds_used: int = strawberry.field(description="Rounds with answers behind it (at most 12).")
