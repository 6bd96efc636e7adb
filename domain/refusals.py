"""Refusals: what a service raises when it will not do what was asked. Nothing has changed when one is raised
(the caller's transaction rolls back); GraphQL turns each into a `UserError` with the same code."""

from collections.abc import Iterable
from enum import StrEnum


class RefusalCode(StrEnum):
    """The reasons a request is refused; GraphQL's `UserErrorCode` has the same members (a test keeps them so)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    ROUND_CLOSED = "ROUND_CLOSED"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"


class Refusal(Exception):
    """One reason for refusing; `field` names the input at fault (camelCase, as clients spell it), if one is.
    Validation that finds several faults at once raises one refusal carrying the others in `also`."""

    def __init__(
        self, code: RefusalCode, message: str, field: str | None = None, also: Iterable["Refusal"] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.also = tuple(also)

    @property
    def reasons(self) -> list["Refusal"]:
        """This refusal and the ones it carries, in the order found."""
        return [self, *self.also]

    def __repr__(self) -> str:
        return f"Refusal({self.code.value}, {self.message!r}, field={self.field!r})"


def not_found(what: str, field: str) -> Refusal:
    """The one answer for "does not exist" and "exists but is not yours to see": they must not differ."""
    return Refusal(RefusalCode.NOT_FOUND, f"No {what} with this id is visible to you.", field)


def forbidden(message: str, field: str | None = None) -> Refusal:
    return Refusal(RefusalCode.FORBIDDEN, message, field)


def invalid(field: str, message: str) -> Refusal:
    return Refusal(RefusalCode.INVALID, message, field)


def refuse_all(found: list[Refusal]) -> None:
    """Raise the faults found, together; nothing when there are none."""
    if found:
        raise Refusal(found[0].code, found[0].message, found[0].field, also=found[1:])
