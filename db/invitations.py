"""SQL of survey invitations, reminders and answer links; the mails go to the outbox in the same transaction."""

import hashlib
import secrets
from collections.abc import Sequence
from typing import Protocol

import asyncpg

from db.outbox import Mail, add_mails


class RenderedMail(Protocol):
    # read-only, so that frozen dataclasses (domain/mail_texts.py) match
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class RenderMail(Protocol):
    """How a mail reads, in the recipient's language (the texts are the domain's: domain/mail_texts.py)."""

    def __call__(self, language: str, **values: str | int) -> RenderedMail: ...


ANSWER_TOKEN_PREFIX = "pa_"


def new_answer_token() -> str:
    return ANSWER_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_answer_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def answer_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/answer/{token}"


async def _mails_with_links(
    connection: asyncpg.Connection, recipients: list[asyncpg.Record], public_url: str, kind: str, render: RenderMail
) -> list[Mail]:
    """One mail per recipient row (round, person, organization, project), each with a fresh answer link."""
    mails, hashes, rounds, organizations, persons = [], [], [], [], []
    for row in recipients:
        token = new_answer_token()
        hashes.append(hash_answer_token(token))
        rounds.append(row["round_id"])
        organizations.append(row["organization_id"])
        persons.append(row["person_id"])
        text = render(
            row["language"],
            name=row["person_name"],
            project=row["project_title"],
            organization=row["organization_name"],
            sequence=row["sequence"],
            link=answer_link(public_url, token),
        )
        mails.append(
            Mail(
                kind=kind,
                recipient=row["email"],
                subject=text.subject,
                text_body=text.text,
                html_body=text.html,
                round_id=row["round_id"],
                contact_person_id=row["person_id"],
                sequence=row["reminder"] if kind == "REMINDER" else 0,
            )
        )
    if hashes:
        await connection.execute(
            """
            INSERT INTO answer_tokens (token_hash, round_id, organization_id, contact_person_id)
            SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[])
            """,
            hashes,
            rounds,
            organizations,
            persons,
        )
    return mails


RECIPIENT_COLUMNS = """i.round_id, i.organization_id, c.id AS person_id, c.name AS person_name, c.email, c.language,
    o.name AS organization_name, p.title AS project_title, r.sequence"""


async def invite_round(connection: asyncpg.Connection, round_id: int, public_url: str, render: RenderMail) -> int:
    """In the transaction that opened the round: an invitation per participating organization and a mail to
    each of its contact persons. Returns the number of mails queued."""
    await connection.execute(
        """
        INSERT INTO survey_invitations (round_id, organization_id)
        SELECT round_id, organization_id FROM survey_round_participants WHERE round_id = $1
        ON CONFLICT DO NOTHING
        """,
        round_id,
    )
    recipients = await connection.fetch(
        f"""
        SELECT {RECIPIENT_COLUMNS}, 0 AS reminder
        FROM survey_invitations i
        JOIN survey_rounds r ON r.id = i.round_id
        JOIN cooperation_projects p ON p.id = r.project_id
        JOIN organizations o ON o.id = i.organization_id
        JOIN contact_persons c ON c.organization_id = i.organization_id
        WHERE i.round_id = $1
        ORDER BY i.organization_id, c.id
        """,
        round_id,
    )
    mails = await _mails_with_links(connection, recipients, public_url, "INVITATION", render)
    return await add_mails(connection, mails)


async def queue_due_reminders(
    connection: asyncpg.Connection, offsets_seconds: list[float], public_url: str, render: RenderMail
) -> int:
    """Reminder k (1, 2, …) of an invitation falls due `offsets_seconds[k-1]` after the round opened, while the
    round is open and the organization has not answered. The counter moves under the row lock, so a second
    run (another worker, cron twice) finds nothing due; the outbox's unique key guards the mails as well.
    Returns the number of mails queued."""
    if not offsets_seconds:
        return 0
    due = await connection.fetch(
        """
        UPDATE survey_invitations i SET reminders_sent = i.reminders_sent + 1
        FROM survey_rounds r
        WHERE r.id = i.round_id AND r.status = 'OPEN'
          AND i.reminders_sent < cardinality($1::float8[])
          AND r.opened_at + make_interval(secs => ($1::float8[])[i.reminders_sent + 1]) <= now()
          AND NOT EXISTS (
              SELECT 1 FROM survey_responses s WHERE s.round_id = i.round_id AND s.organization_id = i.organization_id
          )
        RETURNING i.round_id, i.organization_id, i.reminders_sent
        """,
        offsets_seconds,
    )
    if not due:
        return 0
    recipients = await connection.fetch(
        f"""
        SELECT {RECIPIENT_COLUMNS}, d.reminder
        FROM unnest($1::bigint[], $2::bigint[], $3::int[]) AS d(round_id, organization_id, reminder)
        JOIN survey_invitations i ON i.round_id = d.round_id AND i.organization_id = d.organization_id
        JOIN survey_rounds r ON r.id = i.round_id
        JOIN cooperation_projects p ON p.id = r.project_id
        JOIN organizations o ON o.id = i.organization_id
        JOIN contact_persons c ON c.organization_id = i.organization_id AND c.reminders
        ORDER BY i.round_id, i.organization_id, c.id
        """,
        [row["round_id"] for row in due],
        [row["organization_id"] for row in due],
        [row["reminders_sent"] for row in due],
    )
    return await add_mails(connection, await _mails_with_links(connection, recipients, public_url, "REMINDER", render))


async def invitations_of_rounds(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT i.round_id, i.organization_id, i.sent_at, i.reminded_at, s.submitted_at AS answered_at
        FROM survey_invitations i
        LEFT JOIN survey_responses s ON s.round_id = i.round_id AND s.organization_id = i.organization_id
        WHERE i.round_id = ANY($1::bigint[])
        ORDER BY i.round_id, i.organization_id
        """,
        round_ids,
    )


async def pending_rounds_of(
    connection: asyncpg.Connection, organization_id: int, answering_roles: Sequence[str]
) -> list[asyncpg.Record]:
    """Open rounds the organization is expected to answer and has not, oldest first: only while it is still
    an answering partner of the project (one that left may not answer, nor learn more of the project)."""
    return await connection.fetch(
        """
        SELECT r.id, r.project_id, r.sequence, r.status::text AS status, r.opened_at, r.closed_at
        FROM survey_round_participants sp JOIN survey_rounds r ON r.id = sp.round_id
        JOIN project_partners pp ON pp.project_id = r.project_id AND pp.organization_id = sp.organization_id
        WHERE sp.organization_id = $1 AND r.status = 'OPEN'
          AND pp.left_on IS NULL AND pp.role = ANY($2::partner_role[])
          AND NOT EXISTS (SELECT 1 FROM survey_responses s WHERE s.round_id = r.id AND s.organization_id = $1)
        ORDER BY r.opened_at, r.id
        LIMIT 500
        """,
        organization_id,
        list(answering_roles),
    )


async def answer_scope(connection: asyncpg.Connection, token: str) -> asyncpg.Record | None:
    """(round, organization) of a live answer link: its round is still open."""
    if not token.startswith(ANSWER_TOKEN_PREFIX) or len(token) > 200:
        return None
    return await connection.fetchrow(
        """
        SELECT t.round_id, t.organization_id FROM answer_tokens t JOIN survey_rounds r ON r.id = t.round_id
        WHERE t.token_hash = $1 AND r.status = 'OPEN'
        """,
        hash_answer_token(token),
    )


async def answer_page(connection: asyncpg.Connection, round_id: int, organization_id: int) -> asyncpg.Record | None:
    """What an answer link may read: the round, the project's title, the organization's own name, the names
    of the project's current partners, and whether (and when) the organization answered."""
    return await connection.fetchrow(
        """
        SELECT r.id AS round_id, r.sequence, r.status::text AS status, r.opened_at, p.title AS project_title,
               o.name AS organization_name,
               ARRAY(
                   SELECT po.name FROM project_partners pp JOIN organizations po ON po.id = pp.organization_id
                   WHERE pp.project_id = p.id AND pp.left_on IS NULL ORDER BY po.name
               ) AS partner_names,
               s.id AS response_id
        FROM survey_rounds r
        JOIN cooperation_projects p ON p.id = r.project_id
        JOIN organizations o ON o.id = $2
        LEFT JOIN survey_responses s ON s.round_id = r.id AND s.organization_id = $2
        WHERE r.id = $1
        """,
        round_id,
        organization_id,
    )


async def answer_link_state(connection: asyncpg.Connection, token: str) -> asyncpg.Record | None:
    """For the answer page before it asks the API: the link's round status and its person's language; None for
    a link that does not exist (never did, or its person was removed)."""
    if not token.startswith(ANSWER_TOKEN_PREFIX) or len(token) > 200:
        return None
    return await connection.fetchrow(
        """
        SELECT r.status::text AS status, c.language
        FROM answer_tokens t JOIN survey_rounds r ON r.id = t.round_id
        LEFT JOIN contact_persons c ON c.id = t.contact_person_id
        WHERE t.token_hash = $1
        """,
        hash_answer_token(token),
    )
