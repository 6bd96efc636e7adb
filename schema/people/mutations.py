"""Mutations of contact persons: add, remove (GDPR: the person's data goes), opt out of reminders."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import people
from schema.context import Context
from schema.enums import Language
from schema.ids import decode_global_id, decode_organization_id
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
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


async def add_contact_person(
    info: Info[Context, Any], input: Annotated[AddContactPersonInput, MUTATION_INPUT]
) -> AddContactPersonPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: people.add_contact_person(
            context.runtime,
            context.principal,
            decode_organization_id(input.organization_id),
            input.name,
            input.email,
            input.language.value.lower(),
        ),
    )
    return AddContactPersonPayload(contact_person=ContactPerson.from_row(row) if row else None, user_errors=errors)


async def remove_contact_person(
    info: Info[Context, Any], input: Annotated[RemoveContactPersonInput, MUTATION_INPUT]
) -> RemoveContactPersonPayload:
    context = info.context
    removed, errors = await refusals_as_user_errors(
        info, lambda: people.remove_contact_person(context.runtime, context.principal, person_id_of(input.id))
    )
    return RemoveContactPersonPayload(removed_id=input.id if removed is not None else None, user_errors=errors)


async def set_contact_person_reminders(
    info: Info[Context, Any], input: Annotated[SetContactPersonRemindersInput, MUTATION_INPUT]
) -> SetContactPersonRemindersPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: people.set_reminders(
            context.runtime, context.principal, person_id_of(input.id), input.receives_reminders
        ),
    )
    return SetContactPersonRemindersPayload(
        contact_person=ContactPerson.from_row(row) if row else None, user_errors=errors
    )
