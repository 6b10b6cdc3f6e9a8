"""A mail server that is down for a while, in simulated time, against a real SMTP server that
is not there and then comes back: nothing is lost, nothing is sent twice, delivery resumes
within one dispatch period of the server's return, and a notice is given up on only after a
span of time (audited, counted, re-queued by a command)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from followup.db.models import AuditEvent, Directive, Notice
from followup.domain.clock import ManualClock
from followup.domain.vocabulary import AuditAction
from followup.notifications import outbox
from followup.notifications.dispatcher import DispatchReport, SmtpConfig, dispatch
from followup.notifications.lease import Lease, message_lease, worst_send
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
    lease = message_lease(config.timeout)
    assert lease == timedelta(seconds=185)  # two sends' worst case (3 × 30 s) and 5 s
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
        held = Lease(loaded.session_factory, clock, batch[0].claim_token, lease, clock.now())
        renewing = asyncio.create_task(held.keep())
        await asyncio.sleep(0.25)  # two renewals (every lease / 3)
        others = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
        renewing.cancel()
        return list(others)

    assert asyncio.run(working_a_while()) == []  # renewed: nobody else may take them
    clock.advance(timedelta(seconds=1))  # no more renewals: the lease runs out
    taken = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    assert len(taken) == 3


@pytest.mark.parametrize("takes", ["all", "T-02"])
def test_a_dispatcher_whose_lease_ran_out_sends_only_what_it_still_holds(
    loaded: ServiceContext, clock: ManualClock, smtp_server: SmtpServer, takes: str
) -> None:
    """Its renewals did not land (the database was away) and the lease ran out: another
    dispatcher claimed all its notices, or one directive's (a directive's own run sends its
    notices). The first finishes the send under way and sends only what is still its own,
    so none goes out twice."""
    smtp_server.handler.hold = threading.Event()
    config = _config(smtp_server, timeout=1.0, concurrency=1)
    with loaded.session_factory() as session:
        t02 = session.scalars(select(Directive.id).where(Directive.code == "T-02")).one()
    reports: list[DispatchReport] = []
    first = threading.Thread(
        target=lambda: reports.append(
            asyncio.run(dispatch(loaded.session_factory, config, clock=clock))
        )
    )
    first.start()
    try:
        smtp_server.handler.wait_until_stalled(30)  # its first send is under way...
        clock.advance(message_lease(config.timeout) + timedelta(seconds=1))  # ...too long
        taken = outbox.claim(
            loaded.session_factory,
            now=clock.now(),
            limit=20,
            lease=message_lease(1.0),
            directive_id=None if takes == "all" else t02,
        )
    finally:
        smtp_server.handler.hold.set()
        first.join(60)
    sent_to = sorted(str(m["To"]) for m in smtp_server.messages)
    if takes == "all":
        assert len(taken) == 3
        assert [r.sent for r in reports] == [1]  # the send under way ends; no other starts
        assert len(sent_to) == 1
    else:
        assert [m.recipient.email for m in taken] == ["vanphong.haixuan@mongcai.local"]
        assert [r.sent for r in reports] == [2]  # T-01's two, still its own
        assert not any("haixuan" in to for to in sent_to)
    with loaded.session_factory() as session:
        held = session.execute(
            select(Notice.claim_token).where(Notice.id.in_([m.id for m in taken]))
        ).scalars()
        assert set(held) == {taken[0].claim_token}  # the other's, not marked by the first


def test_a_notice_taken_over_is_not_given_up_by_its_former_dispatcher(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    lease = timedelta(seconds=10)
    [mine, *_] = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    clock.advance(lease * 2)
    taken = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    assert mine.id in {m.id for m in taken}
    outbox.mark_failed(
        loaded.session_factory, mine, error="550 late", retry_at=None, now=clock.now()
    )
    assert _audited(loaded, AuditAction.NOTICE_GIVEN_UP) == 0
    with loaded.session_factory() as session:
        status = session.execute(select(Notice.status).where(Notice.id == mine.id)).scalar_one()
    assert status == "pending"  # still the other dispatcher's to send


def test_a_backlog_older_than_the_span_is_not_given_up_on_a_first_try_later(
    loaded: ServiceContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    """The dispatcher was down four days; the server greylists each first try ("451 try
    later"). The notices are tried again, not given up on at once."""
    clock.advance(timedelta(days=4))
    smtp_server.handler.refuse_next = 3
    config = _config(smtp_server, give_up_after=timedelta(hours=72))
    first = asyncio.run(dispatch(loaded.session_factory, config, clock=clock))
    assert (first.sent, first.retrying, first.failed) == (0, 3, 0)
    clock.advance(timedelta(seconds=31))
    again = asyncio.run(dispatch(loaded.session_factory, config, clock=clock))
    assert (again.sent, again.failed) == (3, 0)
    assert _audited(loaded, AuditAction.NOTICE_GIVEN_UP) == 0


def test_a_lapsed_lease_covers_only_the_notices_still_held(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    """Another dispatcher claimed one directive's notice once the first's lease ran out:
    renewed, the first's lease covers its other notices, not that one."""
    lease = message_lease(1.0)
    mine = outbox.claim(loaded.session_factory, now=clock.now(), limit=20, lease=lease)
    held = Lease(
        loaded.session_factory,
        clock,
        mine[0].claim_token,
        lease,
        clock.now() + lease,
        ids={m.id for m in mine},
    )
    clock.advance(lease + timedelta(seconds=1))
    with loaded.session_factory() as session:
        t02 = session.scalars(select(Directive.id).where(Directive.code == "T-02")).one()
    [theirs] = outbox.claim(
        loaded.session_factory, now=clock.now(), limit=20, lease=lease, directive_id=t02
    )

    async def covered() -> list[bool]:
        return [await held.covers(m.id, worst_send(1.0)) for m in mine]

    assert asyncio.run(covered()) == [m.id != theirs.id for m in mine]


def test_a_lease_that_cannot_be_renewed_stops_the_batch(
    loaded: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    """The database is away when the hold runs short: no send starts, and the dispatcher
    stops trying notice after notice (each try could wait out a lock)."""
    from followup.db.session import make_engine, make_session_factory

    away = make_session_factory(make_engine(f"sqlite:///{tmp_path}/gone/followup.db"))
    held = Lease(away, clock, "token", message_lease(1.0), clock.now(), ids={1, 2})
    assert asyncio.run(held.covers(1, worst_send(1.0))) is False
    assert held.unreachable
