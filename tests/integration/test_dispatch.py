"""The outbox and dispatcher against a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import ssl
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from followup.db.models import Notice
from followup.domain.clock import ManualClock
from followup.notifications.dispatcher import DispatchReport, SmtpConfig, dispatch
from followup.services.context import ServiceContext
from tests.smtp import SmtpServer


def _config(server: SmtpServer, **kw: object) -> SmtpConfig:
    base: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "timeout": 5.0,
        "concurrency": 2,
        "sender_email": "theodoi@mongcai.example",
        "sender_name": "Văn phòng UBND thành phố",
        "retry_base_seconds": 30.0,
    }
    return SmtpConfig(**(base | kw))  # type: ignore[arg-type]


def _dispatch(ctx: ServiceContext, config: SmtpConfig) -> DispatchReport:
    return asyncio.run(dispatch(ctx.session_factory, config, clock=ctx.clock))


def _statuses(ctx: ServiceContext) -> Counter[str]:
    with ctx.session_factory() as session:
        return Counter(session.execute(select(Notice.status)).scalars())


def _ids(messages: list[EmailMessage]) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in messages)


def test_notices_arrive_once_as_multipart_utf8(
    loaded: ServiceContext, smtp_server: SmtpServer
) -> None:
    report = _dispatch(loaded, _config(smtp_server))
    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)
    assert _statuses(loaded) == {"sent": 3}
    messages = smtp_server.messages
    assert len(messages) == 3
    assert max(_ids(messages).values()) == 1
    first = next(m for m in messages if "haitien" in str(m["To"]))
    subject = str(first["Subject"])
    assert "Sửa chữa kênh mương, đê biển" in subject
    assert unicodedata.is_normalized("NFC", subject)
    # Written in the readers' time, the same instant as the clock's.
    assert str(first["Date"]).endswith("+0700"), first["Date"]
    assert parsedate_to_datetime(str(first["Date"])) == loaded.clock.now().replace(microsecond=0)
    assert str(first["Message-ID"]).endswith("@mongcai.example>")
    assert first.get_content_type() == "multipart/alternative"
    plain = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "Lê Thị Hồng" in plain.get_content()
    assert "&lt;trước&gt;" in html.get_content()
    assert "Văn phòng UBND thành phố" in str(first["From"])
    # Nothing left: a second run sends nothing more.
    assert _dispatch(loaded, _config(smtp_server)).sent == 0
    assert len(smtp_server.messages) == 3


@pytest.mark.postgres_matters("locking")
def test_refusals_and_disconnects_lose_nothing_and_double_nothing(
    loaded: ServiceContext, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    smtp_server.handler.refuse_next = 1
    smtp_server.handler.drop_next = 1
    report = _dispatch(loaded, _config(smtp_server))
    assert report.sent == 1
    assert report.retrying == 2
    assert _statuses(loaded) == {"sent": 1, "pending": 2}
    # Not yet time to retry: nothing is sent.
    assert _dispatch(loaded, _config(smtp_server)).sent == 0
    clock.advance(timedelta(seconds=31))
    again = _dispatch(loaded, _config(smtp_server))
    assert (again.sent, again.retrying) == (2, 0)
    assert _statuses(loaded) == {"sent": 3}
    assert len(smtp_server.messages) == 3
    assert max(_ids(smtp_server.messages).values()) == 1
    with loaded.session_factory() as session:
        attempts = sorted(session.execute(select(Notice.attempts)).scalars())
    assert attempts == [1, 2, 2]


def test_a_server_that_is_down_keeps_notices_pending(loaded: ServiceContext) -> None:
    from tests.smtp import free_port

    config = SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2.0)
    report = _dispatch(loaded, config)
    assert (report.sent, report.retrying) == (0, 3)
    assert _statuses(loaded) == {"pending": 3}


@pytest.mark.parametrize("refused_at", ["DATA", "RCPT"])
def test_a_permanent_refusal_is_marked_failed_not_retried(
    loaded: ServiceContext, smtp_server: SmtpServer, clock: ManualClock, refused_at: str
) -> None:
    """A 550 after the message ("no such mailbox") or at the recipient ("no such user",
    which aiosmtplib raises as another error): failed at once, not retried for three days."""
    if refused_at == "DATA":
        smtp_server.handler.refuse_next = 1
        smtp_server.handler.refuse_reply = "550 5.1.1 No such mailbox"
    else:
        smtp_server.handler.unknown_recipients = {"vanphong.haitien@mongcai.local"}
    report = _dispatch(loaded, _config(smtp_server))
    assert (report.sent, report.retrying, report.failed) == (2, 0, 1)
    clock.advance(timedelta(days=1))
    assert _dispatch(loaded, _config(smtp_server)).sent == 0
    assert _statuses(loaded) == {"sent": 2, "failed": 1}
    with loaded.session_factory() as session:
        error = session.execute(
            select(Notice.last_error).where(Notice.status == "failed")
        ).scalar_one()
    assert error is not None
    assert "550" in error


def test_a_notice_that_cannot_be_written_fails_alone(
    loaded: ServiceContext, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    """A name typed over two lines goes out on one; an address that cannot be written
    fails by itself, and the rest of the batch is sent once."""
    with loaded.session_factory.begin() as session:
        first, second, _third = session.execute(select(Notice).order_by(Notice.id)).scalars()
        first.recipient_name = "Lê Thị\nHồng"
        second.recipient_email = "van\nphong@mongcai.local"
        broken = second.id
    report = _dispatch(loaded, _config(smtp_server))
    assert (report.sent, report.retrying, report.failed) == (2, 0, 1)
    assert f"#{broken}" in report.errors[0]
    assert len(smtp_server.messages) == 2
    assert any("Lê Thị Hồng" in str(m["To"]) for m in smtp_server.messages)
    clock.advance(timedelta(days=1))
    assert _dispatch(loaded, _config(smtp_server)).sent == 0
    assert _statuses(loaded) == {"sent": 2, "failed": 1}


@pytest.mark.postgres_matters("locking")
def test_two_dispatchers_at_once_send_each_notice_once(
    loaded: ServiceContext, smtp_server: SmtpServer
) -> None:
    from followup.services.escalation.sweep import sweep

    sweep(loaded, as_of=__import__("datetime").date(2021, 3, 12))  # more notices to share
    config = _config(smtp_server, batch_size=1)

    async def both() -> list[DispatchReport]:
        return list(
            await asyncio.gather(
                dispatch(loaded.session_factory, config, clock=loaded.clock),
                dispatch(loaded.session_factory, config, clock=loaded.clock),
            )
        )

    reports = asyncio.run(both())
    total = sum(r.sent for r in reports)
    with loaded.session_factory() as session:
        count = len(session.execute(select(Notice.id)).all())
    assert total == count == len(smtp_server.messages)
    assert max(_ids(smtp_server.messages).values()) == 1


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = SmtpServer(tls_context=context, credentials=("theodoi", "mật-khẩu-bí-mật"))
    server.start()
    try:
        yield server, ca_file
    finally:
        server.stop()


def test_starttls_with_auth(loaded: ServiceContext, tls_server: tuple[SmtpServer, Path]) -> None:
    server, ca_file = tls_server
    report = _dispatch(
        loaded,
        _config(
            server,
            security="starttls",
            username="theodoi",
            password="mật-khẩu-bí-mật",
            ca_file=ca_file,
        ),
    )
    assert report.sent == 3, report.errors
    assert len(server.messages) == 3


# The socket is TLS from the first byte; aiosmtpd's warning only knows STARTTLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_auth(loaded: ServiceContext, tmp_path: Path) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = SmtpServer(tls_context=context, credentials=("theodoi", "bí-mật"), implicit_tls=True)
    server.start()
    try:
        report = _dispatch(
            loaded,
            _config(
                server,
                security="ssl",
                username="theodoi",
                password="bí-mật",
                ca_file=ca_file,
            ),
        )
    finally:
        server.stop()
    assert report.sent == 3, report.errors
    assert len(server.messages) == 3


@pytest.mark.parametrize(
    ("password", "trust"),
    [("sai", True), ("mật-khẩu-bí-mật", False)],
    ids=["wrong password", "untrusted certificate"],
)
def test_a_refused_login_or_certificate_sends_nothing_and_keeps_the_notices(
    loaded: ServiceContext, tls_server: tuple[SmtpServer, Path], password: str, trust: bool
) -> None:
    server, ca_file = tls_server
    config = _config(
        server,
        security="starttls",
        username="theodoi",
        password=password,
        ca_file=ca_file if trust else None,
        timeout=1.0,
    )
    report = _dispatch(loaded, config)
    assert report.sent == 0
    assert server.messages == []
    # The operator's to fix (a password, a CA file): the notices wait, they are not dropped.
    assert report.retrying == 3
    assert _statuses(loaded) == {"pending": 3}
