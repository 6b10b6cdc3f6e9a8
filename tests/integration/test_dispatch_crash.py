"""A dispatcher killed at the worst moment: after the SMTP server accepted notices, before
their "sent" commit. The dispatcher marks accepted notices in group commits and lets at most
`unmarked_limit` of them wait; here the database holds their commit back (another
transaction holds the lock its UPDATE needs), so exactly that many wait when the process is
killed with SIGKILL. The next dispatcher, once their lease ran out, sends those again, with
the same Message-ID, and nothing else: none is lost, none is sent a third time."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from followup.db.models import Notice
from followup.db.session import UnitOfWork
from followup.domain.clock import ManualClock
from followup.domain.vocabulary import NoticeKind
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.notifications.outbox import Recipient, notice_row
from followup.notifications.render import RenderedEmail
from followup.services.context import ServiceContext
from tests.conftest import make_context
from tests.smtp import SmtpServer

pytestmark = pytest.mark.postgres_matters("locking")

NOTICES = 24

CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from followup.db.session import make_engine, make_session_factory
    from followup.domain.clock import SystemClock
    from followup.notifications.dispatcher import SmtpConfig, dispatch

    factory = make_session_factory(make_engine(os.environ["URL"]))
    config = SmtpConfig(
        host="127.0.0.1", port=int(os.environ["PORT"]), timeout=5.0, concurrency=2,
        batch_size=100, sender_name="Văn phòng", unmarked_limit=int(os.environ["LIMIT"]),
    )
    asyncio.run(dispatch(factory, config, clock=SystemClock()))
    """
)


def _queue(ctx: ServiceContext, count: int, *, mailbox: str = "canbo") -> None:
    now = datetime.now(UTC)
    with UnitOfWork(ctx.session_factory, ManualClock(now)) as uow:
        for i in range(count):
            uow.notify(
                notice_row(
                    dedupe_key=f"{mailbox}:{i}",
                    kind=NoticeKind.REMINDER,
                    language="vi",
                    recipient=Recipient(f"Cán bộ {i}", f"{mailbox}{i}@haitien.example"),
                    rendered=RenderedEmail(f"[Nhắc hạn] Nhiệm vụ {i}", "Nội dung", "<p>x</p>"),
                    now=now,
                    message_id_domain="mongcai.example",
                )
            )
        uow.commit()


@contextmanager
def _commits_held(url: str) -> Iterator[None]:
    """Another transaction holds what marking a notice sent needs: SQLite's write lock, or
    PostgreSQL's row locks on the notices."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database or "", isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT id FROM notices FOR UPDATE").fetchall()
        yield
        conn.rollback()


def _wait(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _settled(server: SmtpServer, quiet: float) -> int:
    """The number of messages received once none has come for `quiet` seconds."""
    count, since = len(server.messages), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if len(server.messages) != count:
            count, since = len(server.messages), time.monotonic()
    return count


def _sent(ctx: ServiceContext) -> int:
    with ctx.session_factory() as session:
        return int(
            session.execute(
                select(func.count()).select_from(Notice).where(Notice.status == "sent")
            ).scalar_one()
        )


@pytest.mark.parametrize("limit", [1, 4])
def test_a_dispatcher_killed_before_its_commit_resends_at_most_its_unmarked_limit(
    ctx: ServiceContext, database_url: str, limit: int
) -> None:
    _queue(ctx, NOTICES)
    server = SmtpServer()
    server.handler.stall_seconds = 0.1  # time for the test to step in between messages
    server.start()
    child: subprocess.Popen[bytes] | None = None
    try:
        env = os.environ | {"URL": database_url, "PORT": str(server.port), "LIMIT": str(limit)}
        child = subprocess.Popen([sys.executable, "-c", CHILD], env=env)  # noqa: S603
        _wait(lambda: len(server.messages) >= 2, "the first notices to arrive")
        with _commits_held(database_url):
            # The child goes on sending until `limit` accepted notices wait for their commit.
            received = _settled(server, quiet=1.5)
            assert child.poll() is None, "the dispatcher stopped by itself"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        marked = _sent(ctx)
        unmarked = received - marked
        # The worst moment: the limit, and only it, held the child back.
        assert unmarked == limit, (received, marked)
        assert received < NOTICES, "the limit held nothing back"

        # The next dispatcher, once the dead one's lease has run out.
        later = ManualClock(datetime.now(UTC) + timedelta(minutes=10))
        config = SmtpConfig(host="127.0.0.1", port=server.port, timeout=5.0, sender_name="VP")
        server.handler.stall_seconds = 0
        report = asyncio.run(dispatch(ctx.session_factory, config, clock=later))
    finally:
        if child is not None and child.poll() is None:
            child.kill()
        server.stop()

    copies = Counter(str(m["Message-ID"]) for m in server.messages)
    assert len(copies) == NOTICES  # none lost
    assert max(copies.values()) <= 2  # none sent a third time
    assert sum(1 for n in copies.values() if n == 2) == unmarked  # only the unmarked again
    assert report.sent == NOTICES - marked
    assert _sent(ctx) == NOTICES


@pytest.mark.postgres
def test_a_refused_notice_gives_back_its_room_once_and_is_never_marked_sent(
    migrated_postgres_url: str, clock: ManualClock
) -> None:
    """Notices the server refuses for now take no room from those waiting for their "sent"
    commit: with the commits held, no more than `unmarked_limit` accepted notices wait,
    however many were refused before them; the refused ones wait for a retry, unsent. On
    PostgreSQL, whose row locks can hold back the accepted notices' commit alone."""
    database_url = migrated_postgres_url
    ctx = make_context(database_url, clock)
    _queue(ctx, 3, mailbox="ban")  # claimed first: refused for now
    _queue(ctx, 6)
    server = SmtpServer()
    server.handler.refuse_recipients = {f"ban{i}@haitien.example" for i in range(3)}
    server.handler.stall_seconds = 1  # time to hold the commits once the batch is claimed
    server.start()
    config = SmtpConfig(
        host="127.0.0.1",
        port=server.port,
        timeout=5.0,
        concurrency=2,
        unmarked_limit=1,
        sender_name="Văn phòng",
    )
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    clock = ManualClock(datetime.now(UTC))
    dispatcher = threading.Thread(
        target=lambda: asyncio.run(dispatch(ctx.session_factory, config, clock=clock))
    )
    try:
        with psycopg.connect(dsn) as conn:
            dispatcher.start()
            claimed = "SELECT count(*) FROM notices WHERE claim_token IS NOT NULL"
            _wait(lambda: conn.execute(claimed).fetchone() == (9,), "the batch to be claimed")
            conn.execute(
                "SELECT id FROM notices WHERE recipient_email LIKE 'canbo%' FOR UPDATE"
            ).fetchall()
            _wait(lambda: len(server.messages) >= 1, "a notice to be accepted")
            received = _settled(server, quiet=3)
            assert received == 1, "more accepted notices wait for their commit than the limit"
            conn.rollback()
        dispatcher.join(timeout=60)
        assert not dispatcher.is_alive()
    finally:
        server.stop()
    with ctx.session_factory() as session:
        rows = session.execute(select(Notice.recipient_email, Notice.status)).all()
    ctx.close()
    assert sorted(status for email, status in rows if email.startswith("ban")) == ["pending"] * 3
    assert sorted(status for email, status in rows if email.startswith("canbo")) == ["sent"] * 6
    assert Counter(str(m["To"]) for m in server.messages).most_common(1)[0][1] == 1
