"""Sign-in services for people: an e-mailed single-use link, signing out, and admins ending a session.
The cookie and the CSRF rules are HTTP's (api/sessions.py)."""

from collections.abc import Awaitable, Callable

from db import sessions
from db.outbox import Mail
from domain import jobs, mail_texts
from domain.access import require_authenticated
from domain.people import clean_email
from domain.principal import Principal
from domain.refusals import forbidden, invalid, not_found
from domain.runtime import Runtime
from partnerpulse.settings import Settings


def sign_in_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/sign-in/{token}"


def sign_in_mails(link: str, minutes: int) -> dict[str, Mail]:
    """The mail in both languages: the statement that writes it picks the person's (db/sessions.py)."""
    mails = {}
    for language in ("de", "en"):
        text = mail_texts.sign_in(language, link=link, minutes=minutes)
        mails[language] = Mail(
            kind="SIGN_IN", recipient="", subject=text.subject, text_body=text.text, html_body=text.html
        )
    return mails


async def request_sign_in_link(
    runtime: Runtime, email: str, budget: Callable[[str], Awaitable[int | None]] | None = None
) -> int | None:
    """A link for a known address is written to the outbox with its mail; for an unknown one nothing is, by
    the same statement and the same work, so the answer tells nobody whether an address is known. `budget`:
    the seconds to wait before a link may go to this address (per address and per client; an address is
    counted whether or not it is known). Returns those seconds when over budget (nothing written), else None."""
    address = clean_email(email)
    if address is None:
        raise invalid("email", "Not an e-mail address (name@example.com, at most 254 characters).")
    wait = await budget(address) if budget is not None else None
    if wait:
        return wait
    settings = runtime.settings
    token = sessions.new_sign_in_token()
    mails = sign_in_mails(sign_in_link(settings, token), round(settings.sign_in_link_minutes))
    async with runtime.transaction() as connection:
        await sessions.add_sign_in_link(connection, address, token, settings.sign_in_link_minutes * 60, mails)
    await jobs.request_sending(runtime.jobs, settings.redis_namespace)
    return None


async def sign_out(runtime: Runtime, principal: Principal) -> bool:
    """End the asking person's session; True when one ended."""
    require_authenticated(principal)
    if principal.session_id is None:
        raise forbidden(
            "Only a person signed in with an e-mailed link signs out; API tokens are revoked with "
            "`partnerpulse token revoke`."
        )
    async with runtime.transaction() as connection:
        return await sessions.revoke_session(connection, principal.session_id)


async def revoke_session(runtime: Runtime, principal: Principal, session_id: int | None) -> None:
    """End a person's session at once; admins only."""
    require_authenticated(principal)
    if not principal.is_admin:
        raise forbidden("Only admins revoke sessions.")
    async with runtime.transaction() as connection:
        if session_id is None or not await sessions.revoke_session(connection, session_id):
            raise not_found("live session", "id")
