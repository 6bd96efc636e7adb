"""A real SMTP server (aiosmtpd) that keeps what it receives."""

import email
import email.policy
from email.message import Message

from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

SMTP_PORT = 8125


class Inbox:
    """Keeps every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default))
        return "250 OK"
