"""What every mutation shares: user errors, one transaction, and the recomputation asked for after commit."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import asyncpg
import strawberry
from strawberry.types import Info

from api.metrics import count_user_errors
from domain.jobs import enqueue_recompute, enqueue_sending
from domain.refusals import Refusal
from schema.context import Context

log = logging.getLogger(__name__)
T = TypeVar("T")
ENQUEUE_TIMEOUT = 1.0
MUTATION_INPUT = strawberry.argument(description="What to do; the input type explains each field.")
USER_ERRORS = "Why the mutation was refused; empty when it succeeded. Nothing changes when it is refused."


@strawberry.enum(description="Why a mutation was refused.")
class UserErrorCode(Enum):
    UNAUTHENTICATED = strawberry.enum_value("UNAUTHENTICATED", description="No valid token was sent.")
    FORBIDDEN = strawberry.enum_value("FORBIDDEN", description="The token may see the object but not do this to it.")
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No object with this id is visible to the token.")
    INVALID = strawberry.enum_value(
        "INVALID",
        description="An input value is out of range, too long or malformed; `field` names it.",
    )
    ALREADY_EXISTS = strawberry.enum_value(
        "ALREADY_EXISTS",
        description="The object exists already (a partner added twice, a second open round, an organization "
        "name taken).",
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION",
        description="The project's phase does not allow this (e.g. a step backwards, or a final phase).",
    )
    ROUND_CLOSED = strawberry.enum_value("ROUND_CLOSED", description="The survey round takes no more answers.")
    ALREADY_ANSWERED = strawberry.enum_value(
        "ALREADY_ANSWERED",
        description="The organization has answered this round already (with another idempotency key).",
    )
    CONSENT_REQUIRED = strawberry.enum_value(
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


class Rejected(Exception):
    """Raised inside a mutation to roll back and answer with user errors."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__(errors[0].message if errors else "rejected")
        self.errors = list(errors)


def user_error_of(refusal: Refusal) -> UserError:
    return UserError(field=refusal.field, code=UserErrorCode[refusal.code.value], message=refusal.message)


def reject(code: UserErrorCode, message: str, field: str | None = None) -> Rejected:
    return Rejected(UserError(field=field, code=code, message=message))


def not_found(what: str, field: str) -> Rejected:
    return reject(UserErrorCode.NOT_FOUND, f"No {what} with this id is visible to you.", field)


def forbidden(message: str) -> Rejected:
    return reject(UserErrorCode.FORBIDDEN, message)


def invalid(field: str, message: str) -> UserError:
    return UserError(field=field, code=UserErrorCode.INVALID, message=message)


async def in_transaction(
    info: Info[Context, Any], work: Callable[[asyncpg.Connection], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run `work` in one transaction; a `Refusal` (or `Rejected`) rolls everything back and becomes user errors."""
    if not info.context.principal.is_authenticated:
        errors = [
            UserError(field=None, code=UserErrorCode.UNAUTHENTICATED, message="Send `Authorization: Bearer <token>`.")
        ]
    else:
        try:
            async with info.context.pool.acquire() as connection, connection.transaction():
                return await work(connection), []
        except Rejected as rejected:
            errors = rejected.errors
        except Refusal as refusal:
            errors = [user_error_of(reason) for reason in refusal.reasons]
    # mutation names come from the schema, not the client: the series stay bounded
    count_user_errors(info.field_name, [error.code.value for error in errors])
    return None, errors


async def request_recompute(info: Info[Context, Any], project_id: int) -> None:
    """After commit: ask a worker to recompute. If Redis does not answer, the reconciler will find the
    project by its data_version, so this only logs."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT):
            await enqueue_recompute(info.context.redis, info.context.settings.redis_namespace, project_id)
    except Exception as error:  # Redis down or slow: the recomputation is delayed, not lost
        log.warning(
            "enqueue failed; the reconciler will catch up", extra={"project_id": project_id, "error": repr(error)}
        )


async def request_sending(info: Info[Context, Any]) -> None:
    """After commit: ask a worker to send the outbox. If Redis does not answer, the sender's cron run finds
    the mails a few seconds later."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT):
            await enqueue_sending(info.context.redis, info.context.settings.redis_namespace)
    except Exception as error:  # Redis down or slow: the mails wait, they are not lost
        log.warning("enqueue of mail sending failed; the cron run will send", extra={"error": repr(error)})
