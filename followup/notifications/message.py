"""Build the MIME message for a notice: multipart/alternative, UTF-8 everywhere. Pure."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from followup.notifications.outbox import OutgoingMessage


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_message(
    message: OutgoingMessage, *, sender_name: str, sender_email: str, now: datetime
) -> EmailMessage:
    """Text first, HTML second (clients show the last part they can render)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(sender_name, sender_email)
    msg["To"] = _address(message.recipient.name, message.recipient.email)
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Followup-Kind"] = message.kind  # lets mail rules and the demo sort notices
    msg.set_content(message.text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg
