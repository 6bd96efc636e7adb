"""Mutations of the organizations slice."""

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import organizations
from schema.context import Context
from schema.enums import FundingStage, OrganizationKind, RevenueBand
from schema.ids import decode_organization_id
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
from schema.organizations.types import Organization, organization_from_row


@strawberry.input(description="A new member organization. Admins only.")
class CreateOrganizationInput:
    name: str = strawberry.field(
        description="Registered name, at most 200 characters; unique in the network, compared ignoring case and "
        "spaces (ALREADY_EXISTS)."
    )
    kind: OrganizationKind = strawberry.field(description="Startup, SME, corporate or research institute.")
    industry: str = strawberry.field(description="Industry, at most 100 characters.")
    city: str = strawberry.field(description="City of the headquarters.")
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE.")
    employees: int | None = strawberry.field(default=None, description="Number of employees.")
    founded_year: int | None = strawberry.field(default=None, description="Year founded, not in the future.")
    competencies: list[str] | None = strawberry.field(default=None, description="Up to 50 tags.")
    website: str | None = strawberry.field(default=None, description="An http(s) address.")
    description: str | None = strawberry.field(default=None, description="At most 5,000 characters.")
    funding_stage: FundingStage | None = strawberry.field(default=None, description="Startups only.")
    revenue_band: RevenueBand | None = strawberry.field(default=None, description="SMEs only.")


@strawberry.type(description="Result of `createOrganization`.")
class CreateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The result; null when the mutation was refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Changes to an organization's profile; omitted fields stay as they are, null clears an optional "
    "field. Admins, or the organization itself."
)
class UpdateOrganizationInput:
    id: strawberry.ID = strawberry.field(description="Global id of the organization.")
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="New name (required field); unique, compared ignoring case and spaces (ALREADY_EXISTS).",
    )
    industry: str | None = strawberry.field(default=strawberry.UNSET, description="New industry (required field).")
    city: str | None = strawberry.field(default=strawberry.UNSET, description="New city (required field).")
    country: str | None = strawberry.field(default=strawberry.UNSET, description="ISO 3166-1 alpha-2.")
    employees: int | None = strawberry.field(default=strawberry.UNSET, description="Number of employees.")
    founded_year: int | None = strawberry.field(default=strawberry.UNSET, description="Year founded.")
    competencies: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Replaces the tags.")
    website: str | None = strawberry.field(default=strawberry.UNSET, description="An http(s) address.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="At most 5,000 characters.")
    funding_stage: FundingStage | None = strawberry.field(default=strawberry.UNSET, description="Startups only.")
    revenue_band: RevenueBand | None = strawberry.field(default=strawberry.UNSET, description="SMEs only.")


@strawberry.type(description="Result of `updateOrganization`.")
class UpdateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The result; null when the mutation was refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _plain(value: Any) -> Any:
    """Enum inputs as their names, for the service."""
    return value.value if isinstance(value, Enum) else value


async def create_organization(
    info: Info[Context, Any], input: Annotated[CreateOrganizationInput, MUTATION_INPUT]
) -> CreateOrganizationPayload:
    context = info.context
    values = {key: _plain(getattr(input, key)) for key in organizations.PROFILE_FIELDS}
    row, errors = await refusals_as_user_errors(
        info, lambda: organizations.create_organization(context.runtime, context.principal, input.kind.value, values)
    )
    return CreateOrganizationPayload(organization=organization_from_row(row) if row else None, user_errors=errors)


async def update_organization(
    info: Info[Context, Any], input: Annotated[UpdateOrganizationInput, MUTATION_INPUT]
) -> UpdateOrganizationPayload:
    context = info.context
    values = {key: _plain(value) for key, value in vars(input).items() if key != "id" and value is not strawberry.UNSET}
    row, errors = await refusals_as_user_errors(
        info,
        lambda: organizations.update_organization(
            context.runtime, context.principal, decode_organization_id(input.id), values
        ),
    )
    return UpdateOrganizationPayload(organization=organization_from_row(row) if row else None, user_errors=errors)
