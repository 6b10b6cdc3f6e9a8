"""Build the MIME message for a notice: multipart/alternative, UTF-8 everywhere. Pure."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

from followup.domain.clock import LOCAL_TZ
from followup.notifications.outbox import OutgoingMessage


def _address(name: str, email: str) -> Address:
    """A name is one line in a header, however it was typed (a line break in a units file's
    name would otherwise make the message impossible to write)."""
    local, _, domain = email.rpartition("@")
    return Address(display_name=" ".join(name.split()), username=local, domain=domain)


def build_message(
    message: OutgoingMessage, *, sender_name: str, sender_email: str, now: datetime
) -> EmailMessage:
    """Text first, HTML second (clients show the last part they can render)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(sender_name, sender_email)
    msg["To"] = _address(message.recipient.name, message.recipient.email)
    msg["Subject"] = message.subject
    # In the readers' time (+0700): a client that shows the header as written shows their hour.
    msg["Date"] = format_datetime(now.astimezone(LOCAL_TZ))
    msg["Message-ID"] = message.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Followup-Kind"] = message.kind  # lets mail rules and the demo sort notices
    msg.set_content(message.text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # Bodies are quoted-printable at 76 columns already; headers are written by _Headers.
    msg.policy = _HEADERS
    return msg


class _Headers(EmailPolicy):
    """How our headers go on the wire.

    Python's folding of a long header drops the space between some RFC 2047 encoded-words:
    about 1 Vietnamese subject in 5 arrived with "đã quá hạn" as "đãquá hạn" (and long
    display names likewise). So headers are not folded (RFC 5322 allows 998 characters a
    line), and the subject, the one long free-text header, is encoded by `email.header`,
    which keeps every space inside an encoded-word of at most 75 characters.
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "subject":
            encoded = Header(str(value), "utf-8", header_name=name).encode(
                linesep=self.linesep, maxlinelen=76
            )
            return f"{name}: {encoded}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_HEADERS = _Headers(linesep="\r\n", max_line_length=998)
