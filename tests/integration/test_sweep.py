"""The escalation sweep on real databases: once per level, even when run twice at once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from followup.db.models import AuditEvent, Notice
from followup.domain.clock import ManualClock, start_of_local_day
from followup.services.context import ServiceContext
from followup.services.escalation.sweep import sweep
from followup.services.refs import AssignmentRef
from followup.services.reporting.reports import verify_audit
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge
from followup.services.write.meetings import meeting_from_file
from followup.services.write.units import load_units_file
from tests.conftest import DATA, make_context
from tests.helpers import HAI_TIEN, walk


def _escalations(ctx: ServiceContext) -> list[tuple[str, str]]:
    with ctx.session_factory() as session:
        return [
            (n.dedupe_key.split(":", 1)[1], n.recipient_email)
            for n in session.execute(
                select(Notice).where(Notice.kind == "escalation").order_by(Notice.id)
            ).scalars()
        ]


@pytest.mark.postgres_matters("locking", "sql")
def test_a_silent_unit_climbs_officer_head_leader(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    # Everyone but Hải Xuân acknowledges on day 1.
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    execute(loaded, Acknowledge(target=AssignmentRef("T-01", "phong-nn"), actor="phòng"))
    walk(loaded, clock, date(2021, 3, 15))
    hai_xuan = [
        e
        for e in _escalations(loaded)
        if "haixuan" in e[1] or "chutich@" in e[1] or "phochutich" in e[1]
    ]
    assert hai_xuan == [
        ("escalation:escalation:ack:2021-03-11:L1:officer", "vanphong.haixuan@mongcai.local"),
    ]
    walk(loaded, clock, date(2021, 3, 19))
    keys = [k for k, _ in _escalations(loaded)]
    # T-02 is due 16 Mar: its deadline step starts its own ladder on the 17th.
    assert "escalation:escalation:ack:2021-03-11:L2:head" in keys
    assert "escalation:escalation:deadline:2021-03-16:L1:officer" in keys
    assert "escalation:escalation:deadline:2021-03-16:L3:leader" not in keys
    walk(loaded, clock, date(2021, 3, 24))
    # The leader's rung: audited per item, and the e-mail gathered (one per leader and sweep).
    with loaded.session_factory() as session:
        leader_events = [
            e.details
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.action == "assignment.escalated")
            ).scalars()
            if e.details.get("level") == 3
        ]
        gathered = (
            session.execute(select(Notice).where(Notice.kind == "escalations")).scalars().all()
        )
    deadline = [d for d in leader_events if d["step"] == "deadline:2021-03-16"]
    assert [(d["unit"], d["recipient"]) for d in deadline] == [
        ("xa-hai-xuan", "phochutich@mongcai.local")
    ]
    assert gathered
    assert {n.recipient_email for n in gathered} == {"phochutich@mongcai.local"}
    assert any("T-02" in n.body_text and "Hải Xuân" in n.body_text for n in gathered)
    assert verify_audit(loaded).ok


@pytest.mark.postgres_matters("constraints")
def test_running_the_sweep_twice_changes_nothing_the_second_time(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    clock.set(start_of_local_day(date(2021, 3, 12)))
    first = sweep(loaded)
    assert first.total > 0
    with loaded.session_factory() as session:
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    second = sweep(loaded)
    assert second.total == 0
    assert second.examined == 0  # index-backed: nothing due, nothing read
    with loaded.session_factory() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events


def test_sweep_as_of_a_day_without_moving_the_clock(loaded: ServiceContext) -> None:
    result = sweep(loaded, as_of=date(2021, 3, 12))
    assert result.as_of == date(2021, 3, 12)
    assert result.actions["escalation_L1"] == 3


def test_nothing_fires_on_a_weekend(loaded: ServiceContext) -> None:
    assert sweep(loaded, as_of=date(2021, 3, 13)).total == 0  # Saturday
    assert sweep(loaded, as_of=date(2021, 3, 15)).total > 0  # Monday


@pytest.mark.postgres
@pytest.mark.slow
def test_two_sweeps_at_once_escalate_each_step_exactly_once(
    postgres_url: str, clock: ManualClock
) -> None:
    from followup.db.migrate import upgrade

    upgrade(postgres_url)
    setup = make_context(postgres_url, clock)
    load_units_file(setup, DATA / "units.toml", actor="test")
    # Many assignments so the two sweeps really overlap: 60 directives × 3 units.
    meeting = (DATA / "meeting.toml").read_text(encoding="utf-8")
    head, _, _ = meeting.partition("[[directives]]")
    blocks = [
        f'[[directives]]\ncode = "C-{i:03d}"\ntitle = "Nhiệm vụ {i}"\ntext = "Nội dung {i}"\n'
        f'lead = "xa-hai-tien"\nsupport = ["xa-hai-xuan", "phong-nn"]\ndeadline = "2021-04-30"\n'
        for i in range(60)
    ]
    path = DATA.parent / "_many.toml"
    try:
        path.write_text(head + "\n".join(blocks), encoding="utf-8")
        execute(setup, meeting_from_file(path, actor="test"))
    finally:
        path.unlink()
    setup.close()

    contexts = [make_context(postgres_url, clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def run(ctx: ServiceContext) -> None:
        barrier.wait()
        results.append(sweep(ctx, as_of=date(2021, 3, 12), batch_size=7))

    threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ctx = contexts[0]
    try:
        assert len(results) == 2
        assert sum(r.total for r in results) == 180
        assert all(r.total > 0 for r in results), "both sweeps should have taken a share"
        with ctx.session_factory() as session:
            escalated = session.execute(
                select(AuditEvent.assignment_id, func.count())
                .where(AuditEvent.action == "assignment.escalated")
                .group_by(AuditEvent.assignment_id)
            ).all()
            notices = session.execute(
                select(func.count()).select_from(Notice).where(Notice.kind == "escalation")
            ).scalar_one()
        assert len(escalated) == 180
        assert {count for _, count in escalated} == {1}
        assert notices == 180
        assert verify_audit(ctx).ok
    finally:
        for c in contexts:
            c.close()
