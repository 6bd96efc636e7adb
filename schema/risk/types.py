"""GraphQL types of risk: explainable flags and a project's health."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.context import Context
from schema.enums import Language, RiskLevel, RiskReason, Severity
from schema.organizations.types import Organization, organization_from_row
from schema.permissions import can_see_project_details, sees_individual_numbers, sees_individual_numbers_now
from schema.prefetch import now_or_later

if TYPE_CHECKING:
    from schema.projects.types import CooperationProject

Project = Annotated["CooperationProject", strawberry.lazy("schema.projects.types")]


@strawberry.type(
    description="A partnership at risk, with the reason in words and numbers. Raised when a rule starts to hold, "
    "resolved (kept in history) when it stops. Visible to the project's partners, moderators and admins."
)
class RiskFlag(relay.Node):
    id: relay.NodeID[int]
    project_id: strawberry.Private[int]
    organization_id: strawberry.Private[int | None]
    reason: RiskReason = strawberry.field(description="Which rule holds.")
    severity: Severity = strawberry.field(description="Grows with the distance past the threshold.")
    raised_at: datetime = strawberry.field(description="When the rule started to hold.")
    resolved_at: datetime | None = strawberry.field(description="When it stopped holding; null while open.")
    acknowledged_at: datetime | None = strawberry.field(description="When someone running the project took note.")
    # explanation texts by (language, full): full for who sees individual numbers, else the partner version
    explanations: strawberry.Private[dict[tuple[Language, bool], str]]
    full_evidence: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "RiskFlag":
        partner = row["partner_explanation"] or row["explanation"]
        return cls(
            id=row["id"],
            project_id=row["project_id"],
            organization_id=row["organization_id"],
            reason=RiskReason(row["reason"]),
            severity=Severity(row["severity"]),
            raised_at=row["raised_at"],
            resolved_at=row["resolved_at"],
            acknowledged_at=row["acknowledged_at"],
            explanations={
                (Language.EN, True): row["explanation"],
                (Language.EN, False): partner,
                # German is empty for flags stored before it existed, until their project is recomputed; a
                # partner then reads the English partner version, never the full German one
                (Language.DE, True): row["explanation_de"] or row["explanation"],
                (Language.DE, False): row["partner_explanation_de"] or partner,
            },
            full_evidence=row["evidence"],
        )

    @strawberry.field(
        description="Why, in plain words. Plain partners read it without numbers that rest on fewer answers than "
        "the minimum group size."
    )
    def explanation(
        self,
        info: Info[Context, Any],
        language: Annotated[Language, strawberry.argument(description="English or German.")] = Language.EN,
    ) -> str:
        sees = sees_individual_numbers_now(info, self.project_id)
        if sees is None:
            return now_or_later(
                sees_individual_numbers(info, self.project_id), lambda sees: self.explanations[(language, sees)]
            )
        return self.explanations[(language, sees)]

    @strawberry.field(
        description="The numbers behind the flag (rounds, means, slope, counts). Null for plain partners when they "
        "rest on fewer answers than the minimum group size."
    )
    async def evidence(self, info: Info[Context, Any]) -> JSON | None:
        if await sees_individual_numbers(info, self.project_id):
            return self.full_evidence
        counts = [self.full_evidence.get("responseCount", 10**9), *self.full_evidence.get("responseCounts", [])]
        return self.full_evidence if min(counts) >= info.context.settings.min_group_size else None

    @strawberry.field(description="The project.")
    async def project(self, info: Info[Context, Any]) -> Project:
        from schema.projects.types import CooperationProject

        return CooperationProject.from_row(await info.context.loaders.project.load(self.project_id))

    @strawberry.field(description="The organization the flag concerns (the less satisfied or the silent partner).")
    async def organization(self, info: Info[Context, Any]) -> Organization | None:
        if self.organization_id is None:
            return None
        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["RiskFlag | None"]:
        rows = await info.context.loaders.flag.load_many([int(i) for i in node_ids])
        return [
            cls.from_row(row) if row and await can_see_project_details(info, row["project_id"]) else None
            for row in rows
        ]


@strawberry.type(description="How a project is doing, as the workers last computed it.")
class ProjectHealth:
    score: int = strawberry.field(description="0 (failing) … 100 (healthy).")
    risk_level: RiskLevel = strawberry.field(description="The severity of the most severe open flag; NONE without.")
    computed_at: datetime = strawberry.field(description="When a worker computed it.")
    up_to_date: bool = strawberry.field(
        description="False while answers that arrived since are still being included (usually for a second)."
    )
