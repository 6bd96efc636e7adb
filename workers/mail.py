"""Sending the outbox over SMTP (aiosmtplib), with retries and backoff.

A mail is sent once per (round, person, kind): it is recorded as sent right after the server accepted it. A
worker that dies between the server's acceptance and that record sends that one mail again when its lease
ends (at most once more per crash); nothing is lost, as a mail leaves the outbox only once recorded sent.
"""

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from db import invitations, outbox
from domain import mail_texts
from partnerpulse.settings import Settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 300  # a batch must be sent within this; then a dead worker's mails are due again
FIRST_RETRY_SECONDS = 5.0
SMTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool


def smtp_server(url: str) -> SmtpServer:
    """smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465 (TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("the SMTP URL is smtp://[user:password@]host[:port] or smtps://…")
    implicit = parts.scheme == "smtps"
    return SmtpServer(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
    )


def retry_delay(attempts: int, maximum: float) -> float:
    """Seconds until the next attempt after `attempts` failed ones: 5 s, 10 s, 20 s, … up to `maximum`."""
    return min(FIRST_RETRY_SECONDS * 2 ** min(attempts, 30), maximum)


def build_message(row: Any, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = make_msgid(domain="partnerpulse")
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


def connect(settings: Settings) -> aiosmtplib.SMTP:
    server = smtp_server(settings.smtp_url or "")
    return aiosmtplib.SMTP(
        hostname=server.hostname,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.implicit_tls,
        start_tls=False if server.implicit_tls else None,  # None: STARTTLS when the server offers it
        timeout=SMTP_TIMEOUT,
    )


async def send_due(pool: Any, settings: Settings) -> tuple[int, int]:
    """Send due mails in batches until none is due; return (sent, failed)."""
    sent = failed = 0
    if not settings.smtp_url:
        return 0, 0
    while True:
        async with pool.acquire() as connection:
            batch = await outbox.lease_due(connection, settings.mail_batch_size, LEASE_SECONDS)
        if not batch:
            return sent, failed
        client = connect(settings)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            # the server is down: every mail of the batch waits for its next attempt
            async with pool.acquire() as connection:
                for row in batch:
                    delay = retry_delay(row["attempts"], settings.mail_retry_max_seconds)
                    await outbox.mark_failed(connection, row["id"], repr(error), delay)
            log.warning("mail server unreachable", extra={"mails": len(batch), "error": repr(error)})
            return sent, failed + len(batch)
        done = 0
        try:
            for row in batch:
                done += 1
                try:
                    await client.send_message(build_message(row, settings.mail_from))
                except (aiosmtplib.SMTPException, OSError) as error:
                    failed += 1
                    async with pool.acquire() as connection:
                        delay = retry_delay(row["attempts"], settings.mail_retry_max_seconds)
                        await outbox.mark_failed(connection, row["id"], repr(error), delay)
                    if not client.is_connected:
                        await client.connect()
                    continue
                async with pool.acquire() as connection:
                    await outbox.mark_sent(connection, row["id"])
                sent += 1
        except (aiosmtplib.SMTPException, OSError) as error:
            # the reconnect failed: the rest of the batch waits for its next attempt like a failed mail
            log.warning("mail server lost during a batch", extra={"error": repr(error)})
            async with pool.acquire() as connection:
                for row in batch[done:]:
                    delay = retry_delay(row["attempts"], settings.mail_retry_max_seconds)
                    await outbox.mark_failed(connection, row["id"], repr(error), delay)
            return sent, failed + len(batch) - done
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()


async def send_mails(ctx: dict[str, Any]) -> int:
    """arq job (and cron every few seconds, for retries): send what is due; return how many were sent."""
    sent, failed = await send_due(ctx["pool"], ctx["settings"])
    if sent or failed:
        log.info("mails sent", extra={"sent": sent, "failed": failed})
    return sent


async def remind(ctx: dict[str, Any]) -> int:
    """Cron, every minute: queue the reminders that fell due and send them; return how many were queued.
    Safe on several workers at once (see `invitations.queue_due_reminders`)."""
    settings: Settings = ctx["settings"]
    async with ctx["pool"].acquire() as connection, connection.transaction():
        queued = await invitations.queue_due_reminders(
            connection, settings.reminder_offsets_seconds, settings.public_url, mail_texts.reminder
        )
    if queued:
        log.info("reminders queued", extra={"mails": queued})
        await send_due(ctx["pool"], settings)
    return queued
