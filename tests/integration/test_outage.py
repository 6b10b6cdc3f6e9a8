"""A mail server that is down for a while, in simulated time, against a real SMTP server that
is not there and then comes back: nothing is lost, nothing is sent twice, delivery resumes
within one dispatch period of the server's return, and a notice is given up on only after a
span of time (audited, counted, re-queued by a command)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from followup.db.models import AuditEvent, Notice
from followup.domain.clock import ManualClock
from followup.domain.vocabulary import AuditAction
from followup.notifications import outbox
from followup.notifications.dispatcher import SmtpConfig, _keep_leased, dispatch, message_lease
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import RequeueNotices
from followup.services.write.undelivered import undelivered_count
from tests.smtp import SmtpServer

pytestmark = pytest.mark.postgres_matters("locking", "types")


def _config(server: SmtpServer, **kw: object) -> SmtpConfig:
    values: dict[str, object] = {"host": "127.0.0.1", "port": server.port, "timeout": 2.0}
    return SmtpConfig(**(values | kw))  # type: ignore[arg-type]


def _audited(ctx: ServiceContext, action: AuditAction) -> int:
    with ctx.session_factory() as session:
        return int(
            session.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            ).scalar_one()
        )


def _run_outage(
    ctx: ServiceContext,
    clock: ManualClock,
    config: SmtpConfig,
    server: SmtpServer,
    *,
    down_for: timedelta,
    every: timedelta,
) -> datetime | None:
    """Dispatch every `every` while the server is down, start it `down_for` after the first
    try, and go on until nothing is pending; the moment the last notice went out."""
    start = clock.now()
    back_at = start + down_for
    delivered_at = None
    while clock.now() < back_at + timedelta(hours=1):
        if clock.now() >= back_at and not server.controller.server:  # the server comes back
            server.start()
        report = asyncio.run(dispatch(ctx.session_factory, config, clock=clock))
        if report.sent:
            delivered_at = clock.now()
        with ctx.session_factory() as session:
            pending = session.execute(
                select(func.count()).select_from(Notice).where(Notice.status == "pending")
            ).scalar_one()
        if server.controller.server and not pending:
            return delivered_at
        clock.advance(every)
    return delivered_at


@pytest.mark.parametrize(
    ("outage", "every", "least_tries"),
    [
        # Back at 32 minutes: between two dispatches, the worst case for waiting (the old
        # doubling backoff waited 16 minutes more).
        (timedelta(minutes=32), timedelta(minutes=5), 5),
        # Two days: many tries each (the old limit of 8 tries would have lost them all).
        (timedelta(days=2), timedelta(minutes=15), 100),
    ],
    ids=["30 minutes down", "2 days down"],
)
def test_an_outage_loses_nothing_and_delivery_resumes_within_a_period(
    loaded: ServiceContext,
    clock: ManualClock,
    outage: timedelta,
    every: timedelta,
    least_tries: int,
) -> None:
    server = SmtpServer()  # its port is reserved; nothing answers on it yet
    started = clock.now()
    try:
        config = _config(server)
        delivered = _run_outage(loaded, clock, config, server, down_for=outage, every=every)
        assert delivered is not None
        assert delivered - (started + outage) <= every  # the first dispatch after the return
        assert len(server.messages) == 3
        assert max(Counter(str(m["Message-ID"]) for m in server.messages).values()) == 1
        with loaded.session_factory() as session:
            attempts = session.execute(select(Notice.attempts)).scalars().all()
        assert min(attempts) > least_tries
        assert _audited(loaded, AuditAction.NOTICE_GIVEN_UP) == 0
    finally:
        server.stop()


def test_given_up_after_its_span_audited_counted_and_requeued(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    server = SmtpServer()
    config = _config(server, give_up_after=timedelta(hours=24))
    try:
        for _ in range(2 * 24 * 4):  # two days, every 15 minutes, the server down
            asyncio.run(dispatch(loaded.session_factory, config, clock=clock))
            clock.advance(timedelta(minutes=15))
        assert undelivered_count(loaded) == 3
        assert _audited(loaded, AuditAction.NOTICE_GIVEN_UP) == 3  # once each, not per try
        server.start()
        # Given up on: the next dispatch does not send them...
        assert asyncio.run(dispatch(loaded.session_factory, config, clock=clock)).sent == 0
        # ...until a person re-queues them.
        done = execute(loaded, RequeueNotices(actor="vp"))
        assert done.result.count == 3
        report = asyncio.run(dispatch(loaded.session_factory, config, clock=clock))
        assert report.sent == 3
        assert undelivered_count(loaded) == 0
        assert _audited(loaded, AuditAction.NOTICE_REQUEUED) == 3
        assert len(server.messages) == 3
    finally:
        server.stop()


def test_a_dead_dispatchers_notices_are_taken_over_after_one_lease(
    loaded: ServiceContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    """A dispatcher killed after claiming (kill -9: no release, no renewal) holds its notices
    for one message's lease, not a whole batch's worst case."""
    config = _config(smtp_server, timeout=30.0)
    lease = message_lease(config)
    assert lease == timedelta(seconds=95)
    claimed = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    assert len(claimed) == 3  # ...and then the process dies
    clock.advance(lease - timedelta(seconds=1))
    assert asyncio.run(dispatch(loaded.session_factory, config, clock=clock)).sent == 0
    clock.advance(timedelta(seconds=2))
    assert asyncio.run(dispatch(loaded.session_factory, config, clock=clock)).sent == 3
    assert len(smtp_server.messages) == 3


def test_a_live_dispatcher_keeps_renewing_its_lease(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    lease = timedelta(seconds=0.3)
    batch = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    clock.advance(timedelta(seconds=1))  # the first lease has run out: only a renewal holds it

    async def working_a_while() -> list[object]:
        renewing = asyncio.create_task(_keep_leased(loaded.session_factory, clock, batch, lease))
        await asyncio.sleep(0.25)  # two renewals (every lease / 3)
        others = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
        renewing.cancel()
        return list(others)

    assert asyncio.run(working_a_while()) == []  # renewed: nobody else may take them
    clock.advance(timedelta(seconds=1))  # no more renewals: the lease runs out
    taken = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    assert len(taken) == 3
