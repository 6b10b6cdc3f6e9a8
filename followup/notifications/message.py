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
    # Python's folding at 78 columns drops the space between some RFC 2047 encoded words of
    # a Vietnamese subject ("đã quá" arrives as "đãquá" in about 1 subject in 5). The bodies
    # are already quoted-printable (76 columns) here; only headers are written with this
    # policy, unfolded, as RFC 5322 allows up to 998 characters a line.
    msg.policy = _HEADERS_UNFOLDED
    return msg


_HEADERS_UNFOLDED = policy.SMTP.clone(max_line_length=998)
