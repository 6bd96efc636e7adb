"""Sign-in for people: `requestSignInLink`, `signOut`, and for admins `sessions` and `revokeSession`
(the rules in domain/sessions.py; the cookie, the sign-in page and the CSRF rules in api/sessions.py)."""

from datetime import datetime
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.relay import from_base64, to_base64
from strawberry.types import Info

from db import sessions
from domain import sessions as sign_in
from schema.context import Context
from schema.limits import rate_limited
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
from schema.organizations.types import Organization, organization_from_row
from schema.people.types import ContactPerson

MAX_SESSIONS_LISTED = 500


@strawberry.type(description="A person's session, started from an e-mailed sign-in link. Admins only.")
class PersonSession:
    id: strawberry.ID = strawberry.field(description="Global id of the session (for revokeSession).")
    person_name: str = strawberry.field(description="Name of the contact person signed in.")
    email: str = strawberry.field(description="The person's e-mail address.")
    user_agent: str | None = strawberry.field(description="The browser that signed in, as it named itself.")
    created_at: datetime = strawberry.field(description="When the person signed in.")
    expires_at: datetime = strawberry.field(description="When the session ends unless revoked or signed out.")
    organization_id: strawberry.Private[int]
    contact_person_id: strawberry.Private[int]

    @strawberry.field(description="The organization whose rights the session has.")
    async def organization(self, info: Info[Context, Any]) -> Organization:
        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))

    @strawberry.field(description="The contact person signed in.")
    async def contact_person(self, info: Info[Context, Any]) -> ContactPerson | None:
        row = await info.context.loaders.contact_person.load(self.contact_person_id)
        return ContactPerson.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "PersonSession":
        return cls(
            id=strawberry.ID(to_base64("PersonSession", row["id"])),
            person_name=row["person_name"],
            email=row["email"],
            user_agent=row["user_agent"] or None,
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            organization_id=row["organization_id"],
            contact_person_id=row["contact_person_id"],
        )


async def resolve_sessions(info: Info[Context, Any]) -> list[PersonSession]:
    if not info.context.principal.is_admin:
        return []
    async with info.context.pool.acquire() as connection:
        rows = await sessions.live_sessions(connection, MAX_SESSIONS_LISTED)
    return [PersonSession.from_row(row) for row in rows]


@strawberry.input(description="Ask for a sign-in link by e-mail. No token needed.")
class RequestSignInLinkInput:
    email: str = strawberry.field(description="The contact person's e-mail address.")


@strawberry.type(description="Result of `requestSignInLink`.")
class RequestSignInLinkPayload:
    requested: bool = strawberry.field(
        description="True once the request was taken. A link is mailed only when the address belongs to a contact "
        "person; the answer is the same either way, so it tells nobody whether an address is known."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def request_sign_in_link(
    info: Info[Context, Any], input: Annotated[RequestSignInLinkInput, MUTATION_INPUT]
) -> RequestSignInLinkPayload:
    context = info.context
    wait, errors = await refusals_as_user_errors(
        info, lambda: sign_in.request_sign_in_link(context.runtime, input.email, context.limit_sign_in_links)
    )
    if wait:
        context.state.retry_after(wait)
        raise rate_limited(f"Too many sign-in links asked for; try again in {wait} s.", wait)
    return RequestSignInLinkPayload(requested=not errors, user_errors=errors)


@strawberry.type(description="Result of `signOut`.")
class SignOutPayload:
    signed_out: bool = strawberry.field(description="True when a session ended.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def sign_out(info: Info[Context, Any]) -> SignOutPayload:
    context = info.context
    signed_out, errors = await refusals_as_user_errors(
        info, lambda: sign_in.sign_out(context.runtime, context.principal)
    )
    if not errors and context.end_session_cookie is not None:
        context.end_session_cookie()
    return SignOutPayload(signed_out=bool(signed_out), user_errors=errors)


@strawberry.input(description="End a person's session at once. Admins only.")
class RevokeSessionInput:
    id: strawberry.ID = strawberry.field(description="Global id of the session (`sessions`).")


@strawberry.type(description="Result of `revokeSession`.")
class RevokeSessionPayload:
    revoked_id: strawberry.ID | None = strawberry.field(description="The revoked session's id; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def session_id_of(global_id: str) -> int | None:
    try:
        type_name, raw = from_base64(global_id)
    except Exception:  # malformed: names nothing
        return None
    return int(raw) if type_name == "PersonSession" and raw.isdigit() and len(raw) <= 18 else None


async def revoke_session(
    info: Info[Context, Any], input: Annotated[RevokeSessionInput, MUTATION_INPUT]
) -> RevokeSessionPayload:
    context = info.context
    _, errors = await refusals_as_user_errors(
        info, lambda: sign_in.revoke_session(context.runtime, context.principal, session_id_of(input.id))
    )
    return RevokeSessionPayload(revoked_id=None if errors else input.id, user_errors=errors)
