"""GraphQL types of organizations: the `Organization` interface and one type per kind."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import organizations
from schema.context import Context
from schema.enums import FundingStage, OrganizationKind, RevenueBand, member
from schema.pagination import After, First, build_connection, decode_cursor, page_size
from schema.people.types import ContactPerson, contact_persons_of
from schema.prefetch import now_or_later, prefetch_projects

if TYPE_CHECKING:
    from schema.projects.types import CooperationProjectConnection

ProjectConnection = Annotated["CooperationProjectConnection", strawberry.lazy("schema.projects.types")]


@strawberry.interface(
    description="A member of the network: a startup, an SME (Mittelstand), a corporate or a research institute. "
    "The profile is visible to every member; its projects only as far as the viewer may see them. Readers "
    "without a token meet organizations only as partners listed on the marketplace and see only the public "
    "profile: name, kind, industry, city, country, website and createdAt (the other fields are null or empty)."
)
class Organization(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Registered name, e.g. 'Brandt Maschinenbau GmbH'.")
    kind: OrganizationKind = strawberry.field(description="Startup, SME, corporate or research institute.")
    industry: str = strawberry.field(description="Industry, e.g. 'Mechanical Engineering'.")
    city: str = strawberry.field(description="City of the headquarters.")
    country: str = strawberry.field(description="Country, ISO 3166-1 alpha-2 (DE, AT, CH, …).")
    employees: int | None = strawberry.field(description="Number of employees.")
    founded_year: int | None = strawberry.field(description="Year the organization was founded.")
    competencies: list[str] = strawberry.field(description="What the organization is good at (tags).")
    website: str | None = strawberry.field(description="Website (http or https).")
    description: str | None = strawberry.field(description="A short self-description.")
    created_at: datetime = strawberry.field(description="When the organization joined the network.")

    @strawberry.field(description="Cooperation projects of this organization the viewer may see, newest first.")
    async def projects(self, info: Info[Context, Any], first: First = None, after: After = None) -> ProjectConnection:
        from schema.projects.types import CooperationProject, CooperationProjectConnection, ProjectsOfOrganization

        limit = page_size(first)
        after_key = decode_cursor(after, int)
        rows = await info.context.loaders.projects_of_organization.load(
            (self.id, after_key[0] if after_key else None, limit + 1)
        )
        await prefetch_projects(info, [row["id"] for row in rows[:limit]])
        return build_connection(
            CooperationProjectConnection,
            rows,
            limit,
            CooperationProject.from_row,
            lambda row: (row["id"],),
            listed=ProjectsOfOrganization(self.id),
        )

    @strawberry.field(
        description="The people who answer for the organization: for admins and the organization itself (empty "
        "for everyone else)."
    )
    async def contact_persons(self, info: Info[Context, Any]) -> list[ContactPerson]:
        return await contact_persons_of(info, self.id)

    @strawberry.field(description="How many cooperation projects of this organization the viewer may see.")
    def project_count(self, info: Info[Context, Any]) -> int:
        # at once when the directory prefetched the page's counts (schema/prefetch.py)
        return now_or_later(info.context.loaders.project_count.load(self.id), int)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await info.context.loaders.organization.load_many([int(i) for i in node_ids])
        kind = KIND_OF_TYPE.get(cls.__name__)
        return [organization_from_row(row) if row is not None and row["kind"] == kind else None for row in rows]


@strawberry.type(description="A young company, often with a funding stage; cooperates for market access.")
class Startup(Organization):
    funding_stage: FundingStage | None = strawberry.field(description="Current funding stage.")


@strawberry.type(description="A small or medium-sized enterprise of the German Mittelstand.")
class Sme(Organization):
    revenue_band: RevenueBand | None = strawberry.field(description="Annual revenue band.")


@strawberry.type(description="A large company or industrial group.")
class Corporate(Organization):
    pass


@strawberry.type(
    description="A research institute or university lab; often the neutral moderator (Moderator) of a project."
)
class ResearchInstitute(Organization):
    pass


TYPE_OF_KIND: dict[str, type[Organization]] = {
    "STARTUP": Startup,
    "SME": Sme,
    "CORPORATE": Corporate,
    "RESEARCH_INSTITUTE": ResearchInstitute,
}
KIND_OF_TYPE = {t.__name__: kind for kind, t in TYPE_OF_KIND.items()}


_COMMON = ("name", "industry", "city", "country", "employees", "founded_year", "website", "description", "created_at")
_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {}


# what anonymous marketplace readers see of a listed partner; the rest of the profile is for members
PUBLIC_FIELDS = frozenset({"name", "industry", "city", "country", "website", "created_at"})


def organization_from_row(row: Mapping[str, Any], prefix: str = "", public: bool = False) -> Organization:
    """From an organizations row; `prefix`: its columns carry one (e.g. `o_`, joined to another table's row).
    `public`: only the public profile (PUBLIC_FIELDS and the kind), for readers without a token."""
    if prefix not in _COLUMNS:
        _COLUMNS[prefix] = tuple((name, prefix + name) for name in _COMMON)
    common = {name: row[column] for name, column in _COLUMNS[prefix]}
    common["id"] = row[prefix + "id"]
    kind = row[prefix + "kind"]
    common["kind"] = member(OrganizationKind, kind)
    common["competencies"] = list(row[prefix + "competencies"])
    if public:
        common = {name: value if name in PUBLIC_FIELDS else None for name, value in common.items()}
        common.update(id=row[prefix + "id"], kind=member(OrganizationKind, kind), competencies=[])
        extra: dict[str, Any] = {"STARTUP": {"funding_stage": None}, "SME": {"revenue_band": None}}.get(kind, {})
        return TYPE_OF_KIND[kind](**common, **extra)
    if kind == "STARTUP":
        stage = row[prefix + "funding_stage"]
        return Startup(**common, funding_stage=member(FundingStage, stage) if stage else None)
    if kind == "SME":
        band = row[prefix + "revenue_band"]
        return Sme(**common, revenue_band=member(RevenueBand, band) if band else None)
    return TYPE_OF_KIND[kind](**common)


async def count_matching(info: Info[Context, Any], filters: dict[str, Any]) -> int:
    async with info.context.pool.acquire() as connection:
        return await organizations.count_organizations(connection, **filters)


@strawberry.type(name="OrganizationConnection", description="A page of organizations.")
class OrganizationConnection(relay.Connection[Organization]):
    filters: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Number of organizations matching the filters (all pages).")
    async def total_count(self, info: Info[Context, Any]) -> int:
        return await count_matching(info, self.filters)


@strawberry.type(name="StartupConnection", description="A page of startups.")
class StartupConnection(relay.Connection[Startup]):
    filters: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Number of startups (all pages).")
    async def total_count(self, info: Info[Context, Any]) -> int:
        return await count_matching(info, self.filters)


@strawberry.type(name="SmeConnection", description="A page of SMEs.")
class SmeConnection(relay.Connection[Sme]):
    filters: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Number of SMEs (all pages).")
    async def total_count(self, info: Info[Context, Any]) -> int:
        return await count_matching(info, self.filters)
