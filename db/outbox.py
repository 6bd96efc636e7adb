"""SQL of the mail outbox: written with what causes a mail, sent by the worker."""

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Mail:
    kind: str  # INVITATION, REMINDER, SIGN_IN
    recipient: str
    subject: str
    text_body: str
    html_body: str
    round_id: int | None = None
    contact_person_id: int | None = None
    sequence: int = 0  # reminders of a round: 1, 2, …


async def add_mails(connection: asyncpg.Connection, mails: list[Mail]) -> int:
    """Queue mails in the caller's transaction; a (round, person, kind) queued before is skipped. Returns
    how many were new."""
    if not mails:
        return 0
    result = await connection.execute(
        """
        INSERT INTO outbox_mails (kind, round_id, contact_person_id, recipient, subject, text_body, html_body, sequence)
        SELECT * FROM unnest(
            $1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::smallint[]
        )
        ON CONFLICT (round_id, contact_person_id, kind, sequence) DO NOTHING
        """,
        [m.kind for m in mails],
        [m.round_id for m in mails],
        [m.contact_person_id for m in mails],
        [m.recipient for m in mails],
        [m.subject for m in mails],
        [m.text_body for m in mails],
        [m.html_body for m in mails],
        [m.sequence for m in mails],
    )
    return int(result.split()[-1])


async def lease_due(connection: asyncpg.Connection, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Take up to `limit` due mails for `lease_seconds`: another worker skips them meanwhile, and a worker
    that dies holding them leaves them due again when the lease ends."""
    return await connection.fetch(
        """
        UPDATE outbox_mails m SET next_attempt_at = now() + make_interval(secs => $2)
        FROM (
            SELECT id FROM outbox_mails WHERE sent_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
        ) due
        WHERE m.id = due.id
        RETURNING m.id, m.kind, m.round_id, m.contact_person_id, m.recipient, m.subject, m.text_body, m.html_body,
                  m.attempts
        """,
        limit,
        lease_seconds,
    )


async def mark_sent(connection: asyncpg.Connection, mail_id: int) -> None:
    """Sent: the bodies (they hold a link) are dropped, and the round's invitation records the time."""
    await connection.execute(
        """
        WITH m AS (
            UPDATE outbox_mails SET sent_at = now(), text_body = NULL, html_body = NULL, last_error = NULL
            WHERE id = $1 AND sent_at IS NULL
            RETURNING kind, round_id, contact_person_id, sent_at
        )
        UPDATE survey_invitations i SET
            sent_at = CASE WHEN m.kind = 'INVITATION' THEN coalesce(i.sent_at, m.sent_at) ELSE i.sent_at END,
            reminded_at = CASE WHEN m.kind = 'REMINDER' THEN m.sent_at ELSE i.reminded_at END
        FROM m JOIN contact_persons c ON c.id = m.contact_person_id
        WHERE i.round_id = m.round_id AND i.organization_id = c.organization_id
        """,
        mail_id,
    )


async def mark_failed(connection: asyncpg.Connection, mail_id: int, error: str, retry_in_seconds: float) -> None:
    await connection.execute(
        """
        UPDATE outbox_mails SET attempts = attempts + 1, last_error = left($2, 500),
            next_attempt_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND sent_at IS NULL
        """,
        mail_id,
        error,
        retry_in_seconds,
    )


async def pending_count(connection: asyncpg.Connection) -> int:
    return await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE sent_at IS NULL")
