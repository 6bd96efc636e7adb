"""Sign-in for people: `requestSignInLink`, `signOut`, and for admins `sessions` and `revokeSession`
(api/sessions.py has the cookie, the sign-in page and the CSRF rules)."""

import hashlib
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.relay import from_base64, to_base64
from strawberry.types import Info

from api.rate_limit import Budget
from api.sessions import clear_cookie, sign_in_link
from db import sessions
from db.outbox import Mail
from domain import mail_texts
from domain.people import clean_email
from schema.context import Context
from schema.limits import rate_limited
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    UserError,
    forbidden,
    in_transaction,
    invalid,
    not_found,
    request_sending,
)
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


def sign_in_mails(link: str, minutes: int) -> dict[str, Mail]:
    """The mail in both languages: the statement that writes it picks the person's (db/sessions.py)."""
    mails = {}
    for language in ("de", "en"):
        text = mail_texts.sign_in(language, link=link, minutes=minutes)
        mails[language] = Mail(
            kind="SIGN_IN", recipient="", subject=text.subject, text_body=text.text, html_body=text.html
        )
    return mails


async def _within_sign_in_budgets(info: Info[Context, Any], email: str) -> None:
    """Per address (so that nobody floods one mailbox) and per client (so that nobody tries many addresses).
    An address is counted whether or not it is known: the limit tells nothing either."""
    limiter = info.context.request.app.state.rate_limiter
    if limiter is None:
        return
    settings = info.context.settings
    client = info.context.request.scope.get("client")
    address_key = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    for budget, subject in [
        (Budget("sign-in-client", settings.rate_sign_in_links_per_client, 3600, 5), f"client:{client and client[0]}"),
        (Budget("sign-in-address", settings.rate_sign_in_links_per_address, 3600, 3), f"address:{address_key}"),
    ]:
        wait = await limiter.wait_seconds(budget, subject)
        if wait:
            if info.context.request.scope.get("type") == "http":
                info.context.request.scope["state"]["retry_after"] = wait
            raise rate_limited(f"Too many sign-in links asked for; try again in {wait} s.", wait)


async def request_sign_in_link(
    info: Info[Context, Any], input: Annotated[RequestSignInLinkInput, MUTATION_INPUT]
) -> RequestSignInLinkPayload:
    email = clean_email(input.email)
    if email is None:
        error = invalid("email", "Not an e-mail address (name@example.com, at most 254 characters).")
        return RequestSignInLinkPayload(requested=False, user_errors=[error])
    await _within_sign_in_budgets(info, email)
    settings = info.context.settings
    token = sessions.new_sign_in_token()
    mails = sign_in_mails(sign_in_link(settings, token), round(settings.sign_in_link_minutes))
    async with info.context.pool.acquire() as connection, connection.transaction():
        await sessions.add_sign_in_link(connection, email, token, settings.sign_in_link_minutes * 60, mails)
    await request_sending(info)  # for an unknown address too: the same work, the same answer
    return RequestSignInLinkPayload(requested=True, user_errors=[])


@strawberry.type(description="Result of `signOut`.")
class SignOutPayload:
    signed_out: bool = strawberry.field(description="True when a session ended.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def sign_out(info: Info[Context, Any]) -> SignOutPayload:
    session_id = info.context.principal.session_id

    async def work(connection: asyncpg.Connection) -> bool:
        if session_id is None:
            raise forbidden(
                "Only a person signed in with an e-mailed link signs out; API tokens are revoked with "
                "`partnerpulse token revoke`."
            )
        return await sessions.revoke_session(connection, session_id)

    signed_out, errors = await in_transaction(info, work)
    if session_id is not None:
        clear_cookie(info.context.response, info.context.settings)
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
    async def work(connection: asyncpg.Connection) -> strawberry.ID:
        if not info.context.principal.is_admin:
            raise forbidden("Only admins revoke sessions.")
        session_id = session_id_of(input.id)
        if session_id is None or not await sessions.revoke_session(connection, session_id):
            raise not_found("live session", "id")
        return input.id

    revoked, errors = await in_transaction(info, work)
    return RevokeSessionPayload(revoked_id=revoked, user_errors=errors)
