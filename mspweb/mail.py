"""Outgoing mail: the scheduled report delivery and the alert digests send through here.

The SMTP settings come from the environment (see the README's configuration table):
``MAIL_HOST``, ``MAIL_PORT``, ``MAIL_TLS`` (``starttls``, ``ssl`` or ``none``),
``MAIL_USERNAME``, ``MAIL_PASSWORD`` and ``MAIL_FROM``. The standard library's `smtplib` and
`email.message` do the work: they handle TLS, authentication and attachments, and need no
extra dependency.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

#: The MIME type of an XLSX attachment.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MailError(Exception):
    """Mail could not be sent; the message says why in words a person can act on."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    content: bytes
    mime_type: str = XLSX_TYPE


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where and how to send: read from the app's config by :func:`settings_from_config`."""

    host: str | None
    port: int
    tls: str
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0

    @property
    def configured(self) -> bool:
        """True when a mail host is set."""
        return bool(self.host)


def settings_from_config(config: Mapping[str, Any]) -> MailSettings:
    """The mail settings of an app's config (``MAIL_*``)."""
    tls = str(config.get("MAIL_TLS") or "none").lower()
    default_port = {"ssl": 465, "starttls": 587}.get(tls, 25)
    return MailSettings(
        host=config.get("MAIL_HOST") or None,
        port=int(config.get("MAIL_PORT") or default_port),
        tls=tls,
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        sender=config.get("MAIL_FROM") or "mspweb@localhost",
        timeout=float(config.get("MAIL_TIMEOUT") or 10.0),
    )


def build_message(
    settings: MailSettings,
    recipients: Iterable[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """A plain-text message with its attachments, ready to send."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send_mail(
    settings: MailSettings,
    recipients: Iterable[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> str:
    """Send one message to `recipients`; return its Message-ID, or raise `MailError`."""
    to = [address.strip() for address in recipients if address and address.strip()]
    if not to:
        raise MailError("No recipients: add at least one e-mail address.")
    if not settings.configured:
        raise MailError("Mail is not configured: set MAIL_HOST (and MAIL_PORT, MAIL_FROM).")
    message = build_message(settings, to, subject, body, attachments)
    try:
        if settings.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host or "",
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.host or "", settings.port, timeout=settings.timeout)
        with smtp:
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"The mail server {settings.host}:{settings.port} refused: {error}"
        ) from error
    return str(message["Message-ID"])
