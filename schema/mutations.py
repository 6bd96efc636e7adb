"""What every mutation shares: the user errors a refusal becomes. The work itself is the domain's services'
(domain/): a resolver decodes its input, calls one, and maps a `Refusal` to `userErrors` here."""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from domain.refusals import Refusal
from schema.context import Context
from schema.enum_values import described

T = TypeVar("T")
MUTATION_INPUT = strawberry.argument(description="What to do; the input type explains each field.")
USER_ERRORS = "Why the mutation was refused; empty when it succeeded. Nothing changes when it is refused."


@strawberry.enum(description="Why a mutation was refused.")
class UserErrorCode(Enum):
    UNAUTHENTICATED = described("UNAUTHENTICATED", description="No valid token was sent.")
    FORBIDDEN = described("FORBIDDEN", description="The token may see the object but not do this to it.")
    NOT_FOUND = described("NOT_FOUND", description="No object with this id is visible to the token.")
    INVALID = described(
        "INVALID",
        description="An input value is out of range, too long or malformed; `field` names it.",
    )
    ALREADY_EXISTS = described(
        "ALREADY_EXISTS",
        description="The object exists already (a partner added twice, a second open round, an organization "
        "name taken).",
    )
    INVALID_TRANSITION = described(
        "INVALID_TRANSITION",
        description="The project's phase does not allow this (e.g. a step backwards, or a final phase).",
    )
    ROUND_CLOSED = described("ROUND_CLOSED", description="The survey round takes no more answers.")
    ALREADY_ANSWERED = described(
        "ALREADY_ANSWERED",
        description="The organization has answered this round already (with another idempotency key).",
    )
    CONSENT_REQUIRED = described(
        "CONSENT_REQUIRED",
        description="The organizations concerned have not agreed yet: a survey round opens only once at least two "
        "answering partners have accepted their invitations; a member publishes a project only once every "
        "partner has approved the publication.",
    )


@strawberry.type(description="An expected failure of a mutation. Nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault (camelCase), if one is.")
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="What went wrong, for people.")


def user_error_of(refusal: Refusal) -> UserError:
    return UserError(field=refusal.field, code=UserErrorCode[refusal.code.value], message=refusal.message)


async def refusals_as_user_errors(
    info: Info[Context, Any], call: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Await a service call; a `Refusal` becomes the payload's user errors (and is counted)."""
    try:
        return await call(), []
    except Refusal as refusal:
        errors = [user_error_of(reason) for reason in refusal.reasons]
    # mutation names come from the schema, not the client: the series stay bounded
    info.context.count_user_errors(info.field_name, [error.code.value for error in errors])
    return None, errors
