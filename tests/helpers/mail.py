"""A real SMTP server (aiosmtpd) that keeps what it receives; the `inbox` and `mail_settings` fixtures are
registered in conftest.py."""

import email
import email.policy
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from partnerpulse.settings import Settings

SMTP_PORT = 8125


class Inbox:
    """Keeps every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """An SMTP server on SMTP_PORT for the test's duration."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    """The test's settings, sending to the `inbox` server."""
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{SMTP_PORT}"})
