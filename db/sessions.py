"""SQL of sign-in links and person sessions. Links and sessions are bearer secrets: only their SHA-256 is
stored, and a link is used up by the statement that checks it."""

import hashlib
import secrets

import asyncpg

from db.outbox import Mail

SIGN_IN_TOKEN_PREFIX = "ps_"
SESSION_TOKEN_PREFIX = "pss_"
MAX_TOKEN_LENGTH = 100


def new_sign_in_token() -> str:
    return SIGN_IN_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    return SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def plausible(token: str, prefix: str) -> bool:
    return token.startswith(prefix) and len(token) <= MAX_TOKEN_LENGTH


async def add_sign_in_link(
    connection: asyncpg.Connection,
    email: str,
    token: str,
    lifetime_seconds: float,
    mails_by_language: dict[str, Mail],
) -> None:
    """One statement, whether or not the address is known: the link and its mail are written only for a known
    person (in their language), and an unknown address costs the same round trip and writes nothing."""
    german, english = mails_by_language["de"], mails_by_language["en"]
    await connection.execute(
        """
        WITH person AS (
            SELECT id, email, language FROM contact_persons WHERE lower(email) = lower($1)
        ), link AS (
            INSERT INTO sign_in_links (token_hash, contact_person_id, expires_at)
            SELECT $2, person.id, now() + make_interval(secs => $3) FROM person
            RETURNING contact_person_id
        )
        INSERT INTO outbox_mails (kind, contact_person_id, recipient, subject, text_body, html_body)
        SELECT 'SIGN_IN', person.id, person.email,
               CASE WHEN person.language = 'de' THEN $4 ELSE $5 END,
               CASE WHEN person.language = 'de' THEN $6 ELSE $7 END,
               CASE WHEN person.language = 'de' THEN $8 ELSE $9 END
        FROM person JOIN link ON link.contact_person_id = person.id
        """,
        email,
        hash_secret(token),
        lifetime_seconds,
        german.subject,
        english.subject,
        german.text_body,
        english.text_body,
        german.html_body,
        english.html_body,
    )


async def sign_in_link_state(connection: asyncpg.Connection, token: str) -> str:
    """'valid', 'used' or 'expired' (an unknown link reads as expired: nothing is told about it)."""
    if not plausible(token, SIGN_IN_TOKEN_PREFIX):
        return "expired"
    row = await connection.fetchrow(
        "SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired FROM sign_in_links WHERE token_hash = $1",
        hash_secret(token),
    )
    if row is None or row["expired"]:
        return "expired"
    return "used" if row["used"] else "valid"


async def start_session(
    connection: asyncpg.Connection, link_token: str, session_token: str, lifetime_seconds: float, user_agent: str
) -> int | None:
    """Use the link up and start a session for its person; None when the link is unknown, used or expired.
    Two requests racing with one link: the row lock lets exactly one of them through."""
    if not plausible(link_token, SIGN_IN_TOKEN_PREFIX):
        return None
    return await connection.fetchval(
        """
        WITH link AS (
            UPDATE sign_in_links SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
            RETURNING contact_person_id
        )
        INSERT INTO person_sessions (token_hash, contact_person_id, user_agent, expires_at)
        SELECT $2, link.contact_person_id, left($3, 300), now() + make_interval(secs => $4) FROM link
        RETURNING id
        """,
        hash_secret(link_token),
        hash_secret(session_token),
        user_agent,
        lifetime_seconds,
    )


async def find_session(connection: asyncpg.Connection, token: str) -> asyncpg.Record | None:
    """The live session of a cookie value with its person's organization, or None."""
    if not plausible(token, SESSION_TOKEN_PREFIX):
        return None
    return await connection.fetchrow(
        """
        SELECT s.id, c.organization_id, c.id AS contact_person_id
        FROM person_sessions s JOIN contact_persons c ON c.id = s.contact_person_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
        """,
        hash_secret(token),
    )


async def revoke_session(connection: asyncpg.Connection, session_id: int) -> bool:
    status = await connection.execute(
        "UPDATE person_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", session_id
    )
    return status == "UPDATE 1"


SESSION_COLUMNS = """s.id, s.contact_person_id, c.name AS person_name, c.email, c.organization_id, s.user_agent,
    s.created_at, s.expires_at"""


async def live_sessions(connection: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {SESSION_COLUMNS} FROM person_sessions s JOIN contact_persons c ON c.id = s.contact_person_id
        WHERE s.revoked_at IS NULL AND s.expires_at > now() ORDER BY s.created_at DESC, s.id DESC LIMIT $1
        """,
        limit,
    )
