"""GraphQL types of risk: explainable flags and a project's health."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import asyncpg
import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.context import Context
from schema.enums import Language, RiskLevel, RiskReason, Severity, member
from schema.organizations.types import Organization, organization_from_row
from schema.permissions import can_see_project_details, sees_individual_numbers

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
    acknowledgement_note: str | None = strawberry.field(
        description="What the one who acknowledged the flag said is being done about it."
    )
    # FULL flags are computed from every answer (moderators, admins); PARTNERS flags from released values
    # only (plain partners; domain/disclosure.py), each with a lifecycle of its own
    audience: strawberry.Private[str]
    explanations: strawberry.Private[dict[Language, str]]
    full_evidence: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "RiskFlag":
        return cls(
            id=row["id"],
            project_id=row["project_id"],
            organization_id=row["organization_id"],
            reason=member(RiskReason, row["reason"]),
            severity=member(Severity, row["severity"]),
            raised_at=row["raised_at"],
            resolved_at=row["resolved_at"],
            acknowledged_at=row["acknowledged_at"],
            acknowledgement_note=row["acknowledgement_note"],
            audience=row["audience"],
            # stored keyed by language; English for a language a flag lacks (German on flags stored before it
            # existed, until their project is recomputed)
            explanations={
                language: row["explanations"].get(language.value.lower(), row["explanations"]["en"])
                for language in Language
            },
            full_evidence=row["evidence"],
        )

    @strawberry.field(
        description="Why, in plain words and numbers. A plain partner's flags are computed from released values "
        "only (aggregates of at least the minimum group size of organizations), so their numbers are those."
    )
    def explanation(
        self, language: Annotated[Language, strawberry.argument(description="English or German.")] = Language.EN
    ) -> str:
        return self.explanations[language]

    @strawberry.field(
        description="The numbers behind the flag (rounds, means, slope, counts); for plain partners released "
        "values only, like the explanation."
    )
    def evidence(self) -> JSON | None:
        return cast(JSON, self.full_evidence)  # JSON is strawberry's scalar for any JSON value, a dict among them

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
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["RiskFlag | None"]:
        rows = await info.context.loaders.flag.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row and await may_see_flag(info, row) else None for row in rows]


async def may_see_flag(info: Info[Context, Any], row: asyncpg.Record) -> bool:
    """A plain partner sees its project's PARTNERS flags only; moderators and admins see every flag."""
    if not await can_see_project_details(info, row["project_id"]):
        return False
    return row["audience"] == "PARTNERS" or await sees_individual_numbers(info, row["project_id"])


def flags_for_view(rows: list[asyncpg.Record], full: bool) -> list["RiskFlag"]:
    """The flags of one view of a project: FULL for moderators and admins, PARTNERS for plain partners."""
    wanted = "FULL" if full else "PARTNERS"
    return [RiskFlag.from_row(row) for row in rows if row["audience"] == wanted]


@strawberry.type(description="How a project is doing, as the workers last computed it.")
class ProjectHealth:
    score: int = strawberry.field(description="0 (failing) … 100 (healthy).")
    risk_level: RiskLevel = strawberry.field(description="The severity of the most severe open flag; NONE without.")
    computed_at: datetime = strawberry.field(description="When a worker computed it.")
    up_to_date: bool = strawberry.field(
        description="False while answers that arrived since are still being included (usually for a second)."
    )
