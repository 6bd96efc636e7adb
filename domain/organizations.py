"""Organization services: admins add organizations to the network; an organization keeps its profile."""

from datetime import date
from typing import Any

import asyncpg

from db import organizations
from domain import validation
from domain.access import require_authenticated
from domain.principal import Principal
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from domain.runtime import Runtime
from domain.vocabulary import OrganizationKind

REQUIRED = {"name": 200, "industry": 100, "city": 100}
PROFILE_FIELDS = [
    *REQUIRED, "country", "employees", "founded_year", "competencies", "website", "description", "funding_stage",
    "revenue_band",
]  # fmt: skip


def clean_profile(values: dict[str, Any], kind: str, errors: list[Refusal]) -> dict[str, Any]:
    """Check and normalize the profile fields present in `values` (snake_case keys; enums as their names;
    camelCase field names in refusals)."""
    return {**_clean_common_fields(values, errors), **_clean_kind_fields(values, kind, errors)}


def _clean_common_fields(values: dict[str, Any], errors: list[Refusal]) -> dict[str, Any]:
    """The fields every kind of organization has."""
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
    return clean


def _clean_kind_fields(values: dict[str, Any], kind: str, errors: list[Refusal]) -> dict[str, Any]:
    """The funding stage (startups only) and the revenue band (SMEs only); None clears them."""
    clean: dict[str, Any] = {}
    for key, owner, refusal in (
        ("funding_stage", OrganizationKind.STARTUP, invalid("fundingStage", "Only startups have a funding stage.")),
        ("revenue_band", OrganizationKind.SME, invalid("revenueBand", "Only SMEs have a revenue band.")),
    ):
        if values.get(key) is not None and kind != owner:
            errors.append(refusal)
        if key in values:
            clean[key] = values[key]
    return clean


def name_taken() -> Refusal:
    return Refusal(
        RefusalCode.ALREADY_EXISTS,
        "Another organization has this name (names are compared ignoring case and spaces).",
        "name",
    )


async def create_organization(
    runtime: Runtime, principal: Principal, kind: str, values: dict[str, Any]
) -> asyncpg.Record:
    """`values`: every profile field (PROFILE_FIELDS). Admins only."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        if not principal.is_admin:
            raise forbidden("Only admins add organizations to the network.")
        found: list[Refusal] = []
        clean = clean_profile(values, kind, found)
        refuse_all(found)
        try:
            return await organizations.insert_organization(connection, {**clean, "kind": kind})
        except asyncpg.UniqueViolationError as error:
            if not organizations.name_taken(error):
                raise
            raise name_taken() from None


async def update_organization(
    runtime: Runtime, principal: Principal, organization_id: int | None, values: dict[str, Any]
) -> asyncpg.Record:
    """`values`: the profile fields to change. Admins, or the organization itself."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        current = await organizations.lock_organization(connection, organization_id) if organization_id else None
        if current is None or organization_id is None:
            raise not_found("organization", "id")
        if not principal.is_admin and principal.organization_id != organization_id:
            raise forbidden("Only admins and the organization itself change its profile.")
        found: list[Refusal] = []
        clean = clean_profile(values, current["kind"], found)
        refuse_all(found)
        try:
            return await organizations.update_organization(connection, organization_id, clean)
        except asyncpg.UniqueViolationError as error:
            if not organizations.name_taken(error):
                raise
            raise name_taken() from None
