"""Rules about contact persons: what counts as an e-mail address, who manages an organization's people; and
the services that add, remove and change them."""

import re

import asyncpg

from db import organizations, people
from domain import validation
from domain.access import require_authenticated
from domain.principal import Principal
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from domain.runtime import Runtime

# deliberately simple: one @, a dot in the domain, no spaces; the mail server has the last word
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("de", "en")


def clean_email(value: str) -> str | None:
    """The address with surrounding spaces removed, or None when it is not a plausible address."""
    cleaned = value.strip()
    if len(cleaned) > 254 or not EMAIL.match(cleaned):
        return None
    return cleaned


def manages_people(is_admin: bool, viewer_organization: int | None, organization_id: int) -> bool:
    """Admins manage everyone's contact persons; an organization manages its own."""
    return is_admin or viewer_organization == organization_id


async def add_contact_person(
    runtime: Runtime, principal: Principal, organization_id: int | None, name: str, email: str, language: str
) -> asyncpg.Record:
    """Admins and the organization itself add its contact persons; `language` is "de" or "en"."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
            raise not_found("organization", "organizationId")
        if not manages_people(principal.is_admin, principal.organization_id, organization_id):
            raise forbidden("Only admins and the organization itself add its contact persons.")
        found: list[Refusal] = []
        cleaned_name = validation.text(found, "name", name, maximum=200)
        cleaned_email = clean_email(email)
        if cleaned_email is None:
            found.append(invalid("email", "Not an e-mail address (name@example.com, at most 254 characters)."))
        refuse_all(found)
        try:
            return await people.insert_person(
                connection, organization_id, cleaned_name or "", cleaned_email or "", language
            )
        except asyncpg.UniqueViolationError as error:
            if not people.email_taken(error):
                raise
            raise Refusal(
                RefusalCode.ALREADY_EXISTS, "A contact person with this e-mail address exists already.", "email"
            ) from None


async def _locked_person(connection: asyncpg.Connection, principal: Principal, person_id: int | None) -> asyncpg.Record:
    """A person of another organization does not exist for a member."""
    row = await people.lock_person(connection, person_id) if person_id else None
    if row is None or not manages_people(principal.is_admin, principal.organization_id, row["organization_id"]):
        raise not_found("contact person", "id")
    return row


async def remove_contact_person(runtime: Runtime, principal: Principal, person_id: int | None) -> int:
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        row = await _locked_person(connection, principal, person_id)
        await people.delete_person(connection, row["id"])
        return int(row["id"])


async def set_reminders(
    runtime: Runtime, principal: Principal, person_id: int | None, receives_reminders: bool
) -> asyncpg.Record:
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        row = await _locked_person(connection, principal, person_id)
        return await people.set_reminders(connection, row["id"], receives_reminders)
