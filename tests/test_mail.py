"""Outgoing mail against a real SMTP server: the message and its attachment arrive whole."""

from __future__ import annotations

import pytest

from mspweb.mail import Attachment, MailError, send_mail, settings_from_config


def test_a_message_with_an_attachment_reaches_the_smtp_server(app, mail_config):
    settings = settings_from_config(app.config)
    send_mail(
        settings,
        ["billing@msp.example"],
        "November billing",
        "See attached.",
        [Attachment("billing.xlsx", b"PK\x03\x04 not really a workbook")],
    )
    (message,) = mail_config.messages
    assert message["Subject"] == "November billing"
    assert message["From"] == "mspweb@msp.example"
    parts = [part for part in message.walk() if part.get_filename()]
    assert [part.get_filename() for part in parts] == ["billing.xlsx"]
    assert parts[0].get_payload(decode=True) == b"PK\x03\x04 not really a workbook"


def test_unconfigured_or_unreachable_mail_is_a_clear_error(app):
    with pytest.raises(MailError, match="MAIL_HOST"):
        send_mail(settings_from_config({}), ["a@b.example"], "s", "b")
    with pytest.raises(MailError, match="No recipients"):
        send_mail(settings_from_config({"MAIL_HOST": "127.0.0.1"}), [" "], "s", "b")
    closed = settings_from_config({"MAIL_HOST": "127.0.0.1", "MAIL_PORT": 1})
    with pytest.raises(MailError, match="refused"):
        send_mail(closed, ["a@b.example"], "s", "b")
