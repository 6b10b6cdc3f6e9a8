"""Dispatcher throughput to a loopback SMTP server, next to one smtplib connection per message.

    uv run python -m bench.dispatch [--messages 1000] [--smoke] [--json FILE]

Both sides send the same messages to the same aiosmtpd server (run in its own thread). The
baseline is what prefect-email and most scripts do: open a connection, send, quit, for each
message, with no database. Ours reads the outbox (SQLite file), sends over a few reused
connections concurrently, and marks each notice sent in the database.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import common
from followup.db.migrate import upgrade
from followup.db.session import UnitOfWork, make_engine, make_session_factory
from followup.domain.clock import ManualClock
from followup.domain.vocabulary import NoticeKind
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.notifications.message import build_message
from followup.notifications.outbox import OutgoingMessage, Recipient, notice_row
from followup.notifications.render import RenderedEmail

NOW = datetime(2021, 3, 9, 1, tzinfo=UTC)
TEXT = "Đề nghị UBND xã Hải Tiến khẩn trương sửa chữa kênh mương, đê biển trước mùa mưa bão.\n" * 8


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP server did not start")


def _messages(n: int) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            id=i,
            kind="reminder",
            claim_token="",
            attempts=0,
            recipient=Recipient(f"Cán bộ {i}", f"canbo{i}@bench.example"),
            subject=f"[Nhắc hạn] Nhiệm vụ số {i} – Sửa chữa kênh mương",
            text=TEXT,
            html=f"<p>{TEXT}</p>",
            message_id=f"<{i}@bench.example>",
            created_at=datetime.now(UTC),
        )
        for i in range(n)
    ]


def baseline(port: int, messages: list[OutgoingMessage], tls: ssl.SSLContext | None) -> float:
    start = time.perf_counter()
    for m in messages:
        mime = build_message(m, sender_name="Văn phòng", sender_email="vp@bench.example", now=NOW)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            if tls is not None:
                client.starttls(context=tls)
            client.send_message(mime)  # what prefect-email and most scripts call
    return time.perf_counter() - start


def ceiling(port: int, messages: list[OutgoingMessage], tls: ssl.SSLContext | None) -> float:
    """The limit on this machine: one client, one connection kept open, no database."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        if tls is not None:
            client.starttls(context=tls)
        for m in messages:
            mime = build_message(
                m, sender_name="Văn phòng", sender_email="vp@bench.example", now=NOW
            )
            client.send_message(mime)
    return time.perf_counter() - start


def ours(
    port: int,
    messages: list[OutgoingMessage],
    folder: Path,
    concurrency: int,
    ca_file: Path | None,
) -> float:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = ManualClock(NOW)
    with UnitOfWork(factory, clock) as uow:
        for m in messages:
            uow.notify(
                notice_row(
                    dedupe_key=f"bench:{m.id}",
                    kind=NoticeKind.REMINDER,
                    language="vi",
                    recipient=m.recipient,
                    rendered=RenderedEmail(m.subject, m.text, m.html),
                    now=NOW,
                    message_id_domain="bench.example",
                )
            )
        uow.commit()
    config = SmtpConfig(
        host="127.0.0.1",
        port=port,
        concurrency=concurrency,
        sender_name="Văn phòng",  # the bench loads no units file to name the sender from
        batch_size=500,
        security="starttls" if ca_file else "none",
        ca_file=ca_file,
    )
    start = time.perf_counter()
    report = asyncio.run(dispatch(factory, config, clock=clock))
    elapsed = time.perf_counter() - start
    engine.dispose()
    if report.sent != len(messages):
        raise SystemExit(f"dispatcher sent {report.sent} of {len(messages)}: {report.errors[:3]}")
    return elapsed


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=4)
    bench = common.Bench("dispatch", p.parse_args())
    n = 50 if bench.smoke else bench.args.messages
    bench.meta = {"messages": n, "concurrency": bench.args.concurrency}
    for tls in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            run(bench, n, bench.args.concurrency, Path(folder), tls=tls)
    bench.finish()


def run(bench: common.Bench, n: int, concurrency: int, folder: Path, *, tls: bool) -> None:
    import trustme

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "-n",
        "-l",
        f"127.0.0.1:{port}",
        "-c",
        "aiosmtpd.handlers.Sink",
    ]
    context: ssl.SSLContext | None = None
    ca_file: Path | None = None
    if tls:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(folder / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
        ca_file = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        context = ssl.create_default_context(cafile=str(ca_file))
        command += ["--tlscert", str(folder / "cert.pem"), "--tlskey", str(folder / "key.pem")]
    # The server runs in its own process, so it does not share our interpreter lock.
    server = subprocess.Popen(command)  # noqa: S603 - fixed arguments, loopback only
    try:
        _wait_for(port)
        messages = _messages(n)
        base = baseline(port, messages, context)
        limit = ceiling(port, messages, context)
        mine = ours(port, messages, folder, concurrency, ca_file)
    finally:
        server.terminate()
        server.wait(timeout=10)
    label = "STARTTLS" if tls else "plain"
    print(f"{n} messages, {label}, to aiosmtpd (own process) on 127.0.0.1")
    bench.report(
        common.Figure(
            f"dispatcher, {label} (outbox, c={concurrency})",
            n / mine,
            "msg/s",
            "smtplib, one connection per message",
            n / base,
            target="≥ 3×" if tls else "≥ 2×",
            higher_is_better=True,
        )
    )
    bench.report(
        common.Figure(
            f"dispatcher, {label}, share of the ceiling",
            n / mine,
            "msg/s",
            "one kept-open connection, no database",
            n / limit,
            target="≥ 0.70×",
            higher_is_better=True,
        )
    )


if __name__ == "__main__":
    main()
