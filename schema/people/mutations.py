"""Mutations of contact persons: add, remove (GDPR: the person's data goes), opt out of reminders."""

from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import organizations, people
from domain import validation
from domain.people import clean_email, manages_people
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from schema.context import Context
from schema.enums import Language
from schema.ids import decode_global_id, decode_organization_id
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    UserError,
    in_transaction,
)
from schema.people.types import ContactPerson


@strawberry.input(description="A new contact person of an organization. Admins, or the organization itself.")
class AddContactPersonInput:
    organization_id: strawberry.ID = strawberry.field(description="Global id of the organization.")
    name: str = strawberry.field(description="Full name, at most 200 characters.")
    email: str = strawberry.field(
        description="E-mail address, at most 254 characters; unique in the network, compared ignoring case "
        "(ALREADY_EXISTS)."
    )
    language: Language = strawberry.field(default=Language.DE, description="Language of the e-mails.")


@strawberry.type(description="Result of `addContactPerson`.")
class AddContactPersonPayload:
    contact_person: ContactPerson | None = strawberry.field(description="The new person; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Remove a contact person: the person, their e-mails and answer links are deleted; the "
    "organization's answers stay. Admins, or the organization itself."
)
class RemoveContactPersonInput:
    id: strawberry.ID = strawberry.field(description="Global id of the contact person.")


@strawberry.type(description="Result of `removeContactPerson`.")
class RemoveContactPersonPayload:
    removed_id: strawberry.ID | None = strawberry.field(
        description="Global id of the removed person; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Opt a contact person in or out of reminders. Admins, or the organization itself.")
class SetContactPersonRemindersInput:
    id: strawberry.ID = strawberry.field(description="Global id of the contact person.")
    receives_reminders: bool = strawberry.field(description="False: no more reminders (invitations still come).")


@strawberry.type(description="Result of `setContactPersonReminders`.")
class SetContactPersonRemindersPayload:
    contact_person: ContactPerson | None = strawberry.field(description="The person; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def person_id_of(global_id: str) -> int | None:
    return decode_global_id(global_id, {"ContactPerson"})


async def locked_person(info: Info[Context, Any], connection: asyncpg.Connection, global_id: str) -> asyncpg.Record:
    """The person, locked, when the viewer manages their organization; NOT_FOUND otherwise (no probing)."""
    person_id = person_id_of(global_id)
    row = await people.lock_person(connection, person_id) if person_id else None
    principal = info.context.principal
    if row is None or not manages_people(principal.is_admin, principal.organization_id, row["organization_id"]):
        raise not_found("contact person", "id")
    return row


async def add_contact_person(
    info: Info[Context, Any], input: Annotated[AddContactPersonInput, MUTATION_INPUT]
) -> AddContactPersonPayload:
    async def work(connection: asyncpg.Connection) -> ContactPerson:
        principal = info.context.principal
        organization_id = decode_organization_id(input.organization_id)
        if organization_id is None or await organizations.organization_kind(connection, organization_id) is None:
            raise not_found("organization", "organizationId")
        if not manages_people(principal.is_admin, principal.organization_id, organization_id):
            raise forbidden("Only admins and the organization itself add its contact persons.")
        errors: list[Refusal] = []
        name = validation.text(errors, "name", input.name, maximum=200)
        email = clean_email(input.email)
        if email is None:
            errors.append(invalid("email", "Not an e-mail address (name@example.com, at most 254 characters)."))
        refuse_all(errors)
        try:
            row = await people.insert_person(
                connection, organization_id, name or "", email or "", input.language.value.lower()
            )
        except asyncpg.UniqueViolationError as error:
            if not people.email_taken(error):
                raise
            raise Refusal(
                RefusalCode.ALREADY_EXISTS, "A contact person with this e-mail address exists already.", "email"
            ) from None
        return ContactPerson.from_row(row)

    person, errors = await in_transaction(info, work)
    return AddContactPersonPayload(contact_person=person, user_errors=errors)


async def remove_contact_person(
    info: Info[Context, Any], input: Annotated[RemoveContactPersonInput, MUTATION_INPUT]
) -> RemoveContactPersonPayload:
    async def work(connection: asyncpg.Connection) -> strawberry.ID:
        row = await locked_person(info, connection, input.id)
        await people.delete_person(connection, row["id"])
        return input.id

    removed, errors = await in_transaction(info, work)
    return RemoveContactPersonPayload(removed_id=removed, user_errors=errors)


async def set_contact_person_reminders(
    info: Info[Context, Any], input: Annotated[SetContactPersonRemindersInput, MUTATION_INPUT]
) -> SetContactPersonRemindersPayload:
    async def work(connection: asyncpg.Connection) -> ContactPerson:
        row = await locked_person(info, connection, input.id)
        return ContactPerson.from_row(await people.set_reminders(connection, row["id"], input.receives_reminders))

    person, errors = await in_transaction(info, work)
    return SetContactPersonRemindersPayload(contact_person=person, user_errors=errors)
