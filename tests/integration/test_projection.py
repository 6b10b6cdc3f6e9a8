"""The audit trail's projection (`assignment_versions`), on a real SQLite file and PostgreSQL:
written in the same transaction as its events, equal to the fold of the trail, caught by
`audit verify` when it drifts, rebuilt from the trail by `audit rebuild` and by the migration
that adds it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, update

from followup.db import projection
from followup.db.migrate import alembic_config, upgrade
from followup.db.models import Assignment, AssignmentVersion, AuditEvent, Unit
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.replay import REPLAYED
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    ApproveExtension,
    Close,
    Reassign,
    ReportDone,
    RequestExtension,
    SendBack,
)
from tests.helpers import HAI_TIEN, run_cli, url_of, walk

pytestmark = pytest.mark.postgres_matters("migrations", "sql")

NN = AssignmentRef("T-01", "phong-nn")
HX = AssignmentRef("T-02", "xa-hai-xuan")


def _rows(ctx: ServiceContext) -> list[tuple[object, ...]]:
    with ctx.session_factory() as session:
        return [
            tuple(getattr(v, c.key) for c in AssignmentVersion.__table__.columns if c.key != "id")
            for v in session.scalars(select(AssignmentVersion).order_by(AssignmentVersion.seq_from))
        ]


def _month_of_work(ctx: ServiceContext, clock: ManualClock) -> None:
    """Every kind of event that moves an assignment, a day or two apart."""

    def at(day: date) -> None:
        clock.set(start_of_local_day(day))

    at(date(2021, 3, 10))
    execute(ctx, Acknowledge(target=HAI_TIEN, actor="xã"))
    execute(ctx, ReportDone(target=HAI_TIEN, actor="xã", note="Xong phần đầu"))
    at(date(2021, 3, 12))
    execute(ctx, SendBack(target=HAI_TIEN, actor="vp", reason="Thiếu ảnh"))
    at(date(2021, 3, 15))
    execute(ctx, Reassign(target=NN, to_unit="xa-hai-xuan", reason="Địa bàn", actor="vp"))
    walk(ctx, clock, date(2021, 3, 20))  # Hải Xuân's T-02 (due 16/03) escalates
    at(date(2021, 3, 21))
    execute(ctx, Acknowledge(target=HX, actor="xã"))
    execute(ctx, RequestExtension(target=HX, actor="xã", until=date(2021, 4, 2), reason="Mưa bão"))
    execute(ctx, ApproveExtension(target=HX, actor="vp"))
    at(date(2021, 3, 24))
    execute(ctx, ReportDone(target=HX, actor="xã", note="Đã thu đủ"))
    execute(ctx, Close(target=HX, actor="vp"))


def test_each_event_writes_its_version_and_the_trail_rebuilds_the_same(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    _month_of_work(loaded, clock)
    with loaded.session_factory() as session:
        moving = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.assignment_id.is_not(None),
                AuditEvent.action.in_([a.value for a in REPLAYED]),
            )
        ).scalar_one()
        check = projection.verify(session)
        # One current version per assignment, and it says what the live table says.
        current = {
            v.assignment_id: v
            for v in session.scalars(
                select(AssignmentVersion).where(AssignmentVersion.seq_to == projection.CURRENT)
            )
        }
        live = session.execute(select(Assignment, Unit.code).join(Unit)).all()
    assert check.ok, check
    assert check.checked == moving > 10
    assert len(current) == len(live) == 3
    for assignment, unit_code in live:
        version = current[assignment.id]
        assert (version.unit_code, version.due_on, version.extension_approved) == (
            unit_code,
            assignment.due_on,
            assignment.extension_approved,
        )
    assert {v.unit_code for v in current.values()} == {"xa-hai-tien", "xa-hai-xuan"}
    assert max(v.escalation_level for v in current.values()) >= 1

    written = _rows(loaded)
    result = run_cli("audit", "verify", url=url_of(loaded))
    assert result.returncode == 0, result.stderr
    assert f"Bảng tổng hợp khớp với nhật ký: {moving} bản ghi." in result.stdout

    # A version changed behind the trail's back: verify names its event and the fix.
    with loaded.session_factory.begin() as session:
        changed = session.scalars(
            select(AssignmentVersion).order_by(AssignmentVersion.seq_from).offset(4).limit(1)
        ).one()
        seq = changed.seq_from
        session.execute(
            update(AssignmentVersion)
            .where(AssignmentVersion.id == changed.id)
            .values(due_on=changed.due_on + timedelta(days=30))
        )
    result = run_cli("audit", "verify", url=url_of(loaded))
    assert result.returncode != 0
    assert f"lệch với nhật ký từ sự kiện #{seq}" in result.stderr
    assert "followup audit rebuild" in result.stderr

    result = run_cli("audit", "rebuild", url=url_of(loaded))
    assert result.returncode == 0, result.stderr
    assert f"{moving} bản ghi" in result.stdout
    assert _rows(loaded) == written

    # A version lost, and one whose end was moved: caught too.
    with loaded.session_factory.begin() as session:
        last = session.scalars(
            select(AssignmentVersion).order_by(AssignmentVersion.seq_from.desc()).limit(1)
        ).one()
        session.delete(last)
    with loaded.session_factory() as session:
        assert not projection.verify(session).ok
        projection.rebuild(session)
        session.commit()
        session.execute(
            update(AssignmentVersion)
            .where(AssignmentVersion.seq_to != projection.CURRENT)
            .values(seq_to=AssignmentVersion.seq_to + 1)
        )
        assert not projection.verify(session).ok
        session.rollback()
        assert projection.verify(session).ok


def test_the_migration_fills_the_projection_from_an_existing_trail(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    _month_of_work(loaded, clock)
    written = _rows(loaded)
    url = url_of(loaded)
    loaded.engine.dispose()
    command.downgrade(alembic_config(url), "0004")
    upgrade(url)
    assert _rows(loaded) == written
    with loaded.session_factory() as session:
        assert projection.verify(session).ok
