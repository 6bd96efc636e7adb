"""Mutations of the organizations slice."""

from datetime import date
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import organizations
from domain import validation
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from schema.context import Context
from schema.enums import FundingStage, OrganizationKind, RevenueBand
from schema.ids import decode_organization_id
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    UserError,
    in_transaction,
)
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


REQUIRED = {"name": 200, "industry": 100, "city": 100}
PROFILE_FIELDS = [
    *REQUIRED, "country", "employees", "founded_year", "competencies", "website", "description", "funding_stage",
    "revenue_band",
]  # fmt: skip


def clean_profile(values: dict[str, Any], kind: str, errors: list[Refusal]) -> dict[str, Any]:
    """Check and normalize the profile fields present in `values` (camelCase field names in errors)."""
    clean: dict[str, Any] = {}
    for key, maximum in REQUIRED.items():
        if key in values:
            clean[key] = validation.text(errors, key, values[key], maximum=maximum)
    if "country" in values:
        clean["country"] = validation.country(errors, "country", values["country"])
        if clean["country"] is None:
            errors.append(invalid("country", "Required."))
    if "employees" in values:
        clean["employees"] = validation.number(errors, "employees", values["employees"], minimum=0, maximum=10_000_000)
    if "founded_year" in values:
        clean["founded_year"] = validation.number(
            errors, "foundedYear", values["founded_year"], minimum=1000, maximum=date.today().year
        )
    if "competencies" in values:
        clean["competencies"] = validation.tags(errors, "competencies", values["competencies"]) or []
    if "website" in values:
        clean["website"] = validation.website(errors, "website", values["website"])
    if "description" in values:
        clean["description"] = validation.text(
            errors, "description", values["description"], maximum=5000, required=False
        )
    if values.get("funding_stage") is not None:
        if kind != "STARTUP":
            errors.append(invalid("fundingStage", "Only startups have a funding stage."))
        clean["funding_stage"] = values["funding_stage"].value
    elif "funding_stage" in values:
        clean["funding_stage"] = None
    if values.get("revenue_band") is not None:
        if kind != "SME":
            errors.append(invalid("revenueBand", "Only SMEs have a revenue band."))
        clean["revenue_band"] = values["revenue_band"].value
    elif "revenue_band" in values:
        clean["revenue_band"] = None
    return clean


def name_taken() -> Refusal:
    return Refusal(
        RefusalCode.ALREADY_EXISTS,
        "Another organization has this name (names are compared ignoring case and spaces).",
        "name",
    )


async def create_organization(
    info: Info[Context, Any], input: Annotated[CreateOrganizationInput, MUTATION_INPUT]
) -> CreateOrganizationPayload:
    async def work(connection: asyncpg.Connection) -> Organization:
        if not info.context.principal.is_admin:
            raise forbidden("Only admins add organizations to the network.")
        errors: list[Refusal] = []
        values = {key: getattr(input, key) for key in PROFILE_FIELDS}
        clean = clean_profile(values, input.kind.value, errors)
        refuse_all(errors)
        try:
            row = await organizations.insert_organization(connection, {**clean, "kind": input.kind.value})
        except asyncpg.UniqueViolationError as error:
            if not organizations.name_taken(error):
                raise
            raise name_taken() from None
        return organization_from_row(row)

    organization, errors = await in_transaction(info, work)
    return CreateOrganizationPayload(organization=organization, user_errors=errors)


async def update_organization(
    info: Info[Context, Any], input: Annotated[UpdateOrganizationInput, MUTATION_INPUT]
) -> UpdateOrganizationPayload:
    async def work(connection: asyncpg.Connection) -> Organization:
        principal = info.context.principal
        organization_id = decode_organization_id(input.id)
        current = await organizations.lock_organization(connection, organization_id) if organization_id else None
        if current is None:
            raise not_found("organization", "id")
        if not principal.is_admin and principal.organization_id != organization_id:
            raise forbidden("Only admins and the organization itself change its profile.")
        values = {key: value for key, value in vars(input).items() if key != "id" and value is not strawberry.UNSET}
        errors: list[Refusal] = []
        clean = clean_profile(values, current["kind"], errors)
        refuse_all(errors)
        try:
            row = await organizations.update_organization(connection, organization_id, clean)
        except asyncpg.UniqueViolationError as error:
            if not organizations.name_taken(error):
                raise
            raise name_taken() from None
        return organization_from_row(row)

    organization, errors = await in_transaction(info, work)
    return UpdateOrganizationPayload(organization=organization, user_errors=errors)
