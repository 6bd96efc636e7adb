"""The outbox and sending: a real SMTP server (aiosmtpd) in the test receives what a real arq worker sends."""

import asyncio

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from arq.worker import Worker

from db import outbox
from domain.jobs import enqueue_sending
from partnerpulse.settings import Settings
from tests.helpers.mail import Inbox
from workers.mail import retry_delay, send_due, smtp_server
from workers.settings import WorkerSettings, redis_settings

DOWN_PORT = 8126  # nothing listens here


def sign_in_mail(recipient: str) -> outbox.Mail:
    return outbox.Mail(
        kind="SIGN_IN",
        recipient=recipient,
        subject="Your sign-in link",
        text_body="Open https://pp.example/sign-in/abc",
        html_body="<p><a href='https://pp.example/sign-in/abc'>Sign in</a></p>",
    )


async def run_mail_worker(settings: Settings) -> Worker:
    worker = Worker(
        functions=WorkerSettings.functions,
        redis_settings=redis_settings(settings.redis_url or ""),
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        keep_result=0,
        queue_name=settings.queue_name,
        ctx={"settings": settings},
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def test_the_worker_sends_the_outbox_once_in_plain_text_and_html(
    connection: asyncpg.Connection, pool: asyncpg.Pool, redis, mail_settings: Settings, inbox: Inbox
) -> None:
    from arq import create_pool

    async with connection.transaction():
        assert await outbox.add_mails(connection, [sign_in_mail(f"p{i}@example.com") for i in range(3)]) == 3
    arq_redis = await create_pool(
        redis_settings(mail_settings.redis_url or ""), default_queue_name=mail_settings.queue_name
    )
    try:
        await enqueue_sending(arq_redis, mail_settings.redis_namespace)
        worker = await run_mail_worker(mail_settings)
    finally:
        await arq_redis.aclose()
    assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    assert sorted(m["To"] for m in inbox.messages) == [f"p{i}@example.com" for i in range(3)]
    message = inbox.messages[0]
    assert message["From"] == mail_settings.mail_from and message["Subject"] == "Your sign-in link"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "https://pp.example/sign-in/abc" in parts["text/plain"] and "<a href=" in parts["text/html"]
    rows = await connection.fetch("SELECT sent_at, text_body, html_body, attempts FROM outbox_mails")
    assert all(r["sent_at"] is not None and r["text_body"] is None and r["html_body"] is None for r in rows)
    # nothing is due any more: a second run sends nothing
    assert await send_due(pool, mail_settings) == (0, 0)
    assert len(inbox.messages) == 3


async def test_once_per_round_person_and_kind(connection: asyncpg.Connection) -> None:
    organization = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', 'A', 'B', 'C', 'DE') RETURNING id"
    )
    project = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind) VALUES ('P', 'RESEARCH') RETURNING id"
    )
    round_id = await connection.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", project
    )
    person = await connection.fetchval(
        "INSERT INTO contact_persons (organization_id, name, email) VALUES ($1, 'N', 'n@example.com') RETURNING id",
        organization,
    )
    mail = outbox.Mail("INVITATION", "n@example.com", "s", "t", "h", round_id=round_id, contact_person_id=person)
    assert await outbox.add_mails(connection, [mail]) == 1
    assert await outbox.add_mails(connection, [mail]) == 0  # a cron job run twice writes nothing new
    for sequence, new in ((1, 1), (1, 0), (2, 1)):  # the first reminder once, then the second
        reminder = outbox.Mail("REMINDER", "n@example.com", "s", "t", "h", round_id, person, sequence)
        assert await outbox.add_mails(connection, [reminder]) == new


async def test_a_mail_server_that_is_down_delays_mails_and_loses_none(
    connection: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings
) -> None:
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{DOWN_PORT}"})
    await outbox.add_mails(connection, [sign_in_mail("late@example.com")])
    assert await send_due(pool, down) == (0, 1)
    row = await connection.fetchrow(
        "SELECT attempts, last_error, next_attempt_at > now() AS later, sent_at FROM outbox_mails"
    )
    assert row["attempts"] == 1 and row["later"] and row["sent_at"] is None and "Connect" in row["last_error"]
    # not due yet: a second run leaves it alone
    assert await send_due(pool, down) == (0, 0)
    # the server comes up on that port; once the backoff has passed (moved here instead of waiting) it is sent
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=DOWN_PORT)
    controller.start()
    try:
        await connection.execute("UPDATE outbox_mails SET next_attempt_at = now()")
        assert await send_due(pool, down) == (1, 0)
    finally:
        controller.stop()
    assert [m["To"] for m in handler.messages] == ["late@example.com"]
    assert await outbox.pending_count(connection) == 0


async def test_two_senders_at_once_send_each_mail_once(
    connection: asyncpg.Connection, pool: asyncpg.Pool, mail_settings: Settings, inbox: Inbox
) -> None:
    small_batches = mail_settings.model_copy(update={"mail_batch_size": 5})
    await outbox.add_mails(connection, [sign_in_mail(f"c{i}@example.com") for i in range(40)])
    results = await asyncio.gather(send_due(pool, small_batches), send_due(pool, small_batches))
    assert sum(sent for sent, _ in results) == 40
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"c{i}@example.com" for i in range(40))


def test_smtp_urls_and_backoff() -> None:
    plain = smtp_server("smtp://user%40x:p%3Ass@mail.example:2525")
    assert (plain.hostname, plain.port, plain.username, plain.password, plain.implicit_tls) == (
        "mail.example", 2525, "user@x", "p:ss", False,
    )  # fmt: skip
    assert smtp_server("smtp://mail.example").port == 587
    tls = smtp_server("smtps://mail.example")
    assert tls.port == 465 and tls.implicit_tls and tls.username is None
    with pytest.raises(ValueError):
        smtp_server("http://mail.example")
    assert [retry_delay(n, 60) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert retry_delay(10_000, 3600) == 3600


async def test_the_development_mail_server_keeps_mails_for_the_mailbox_command(
    connection: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings, tmp_path
) -> None:
    import os
    import subprocess
    import sys

    from partnerpulse.embedded import DevMailServer

    server = DevMailServer(tmp_path)
    url = server.start()
    try:
        await outbox.add_mails(connection, [sign_in_mail("dev@example.com")])
        assert await send_due(pool, settings.model_copy(update={"smtp_url": url})) == (1, 0)
    finally:
        server.stop()
    env = {**os.environ, "PARTNERPULSE_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "partnerpulse", "mailbox"]

    def run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(arguments, env=env, capture_output=True, text=True, timeout=60)

    listing = await asyncio.to_thread(run, command)
    assert listing.returncode == 0 and "dev@example.com  Your sign-in link" in listing.stdout, listing
    shown = await asyncio.to_thread(run, [*command, "--show", "1"])
    assert "https://pp.example/sign-in/abc" in shown.stdout and "To: dev@example.com" in shown.stdout
    missing = await asyncio.to_thread(run, [*command, "--show", "2"])
    assert missing.returncode == 1 and "no mail number 2" in missing.stderr and "Traceback" not in missing.stderr


class Refusing(Inbox):
    """Refuses mail to one address for now (a full mailbox, greylisting), accepts the rest."""

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if "greylisted@example.com" in envelope.rcpt_tos:
            return "451 4.7.1 try again later"
        return await super().handle_DATA(server, session, envelope)


async def test_a_refused_mail_waits_for_its_next_attempt_and_the_others_go(
    connection: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings
) -> None:
    handler = Refusing()
    controller = Controller(handler, hostname="127.0.0.1", port=DOWN_PORT)
    controller.start()
    try:
        recipients = ["a@example.com", "greylisted@example.com", "b@example.com"]
        await outbox.add_mails(connection, [sign_in_mail(r) for r in recipients])
        assert await send_due(pool, settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{DOWN_PORT}"})) == (2, 1)
    finally:
        controller.stop()
    assert sorted(m["To"] for m in handler.messages) == ["a@example.com", "b@example.com"]
    waiting = await connection.fetchrow(
        "SELECT recipient, attempts, last_error FROM outbox_mails WHERE sent_at IS NULL"
    )
    assert (
        waiting["recipient"] == "greylisted@example.com" and waiting["attempts"] == 1 and "451" in waiting["last_error"]
    )
