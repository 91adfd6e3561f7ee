"""A real SMTP server (aiosmtpd) on loopback for the tests that send mail."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller


class MailBox:
    """Collects every message the test's SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        """aiosmtpd's hook: keep the message as the standard library parses it."""
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp_server() -> Iterator[tuple[MailBox, int]]:
    """A running SMTP server on 127.0.0.1: yields its mailbox and port."""
    mailbox = MailBox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture()
def mail_config(app, smtp_server) -> MailBox:
    """The app's mail settings pointed at the test's SMTP server; yields its mailbox."""
    mailbox, port = smtp_server
    saved = {
        key: app.config.get(key) for key in ("MAIL_HOST", "MAIL_PORT", "MAIL_TLS", "MAIL_FROM")
    }
    app.config.update(
        MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_TLS="none", MAIL_FROM="mspweb@msp.example"
    )
    yield mailbox
    app.config.update(saved)
