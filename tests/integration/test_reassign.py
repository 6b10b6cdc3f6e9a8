"""Reassign: an open assignment moves to another unit, on SQLite and PostgreSQL.

The new unit starts afresh and gets the assignment e-mail; the old unit's part stays in the
audit trail; the four-way statistic counts the work once; the old unit's links stop working.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from followup.db.models import Assignment, Directive, Notice
from followup.domain.clock import ManualClock
from followup.domain.errors import FollowupError, NotFoundError
from followup.domain.states import AssignmentState
from followup.services.context import ServiceContext
from followup.services.escalation.sweep import sweep
from followup.services.refs import AssignmentRef
from followup.services.reporting.period_report import status_by_unit
from followup.services.reporting.reports import timeline, verify_audit
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, Cancel, Reassign, ReportProgress
from tests.helpers import HAI_TIEN, RecordingWaker, row_counts, walk

HT = HAI_TIEN
MOVED = AssignmentRef("T-01", "xa-hai-xuan")


def _move(ctx: ServiceContext, **fields: str) -> object:
    values = {"target": HT, "to_unit": "xa-hai-xuan", "reason": "Địa bàn thuộc Hải Xuân"}
    values |= fields
    return execute(ctx, Reassign(actor="vp", **values)).result  # type: ignore[arg-type]


@pytest.mark.postgres_matters("constraints")
def test_reassign_moves_the_work_and_keeps_the_story(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=HT, actor="xã Hải Tiến"))
    execute(loaded, ReportProgress(target=HT, percent=30, note="Đã khảo sát", actor="xã"))
    before = status_by_unit(loaded, loaded.today())
    waker = RecordingWaker()
    loaded.waker = waker

    view = execute(
        loaded, Reassign(target=HT, to_unit="xa-hai-xuan", reason="Địa bàn Hải Xuân", actor="vp")
    )

    assert view.result.unit_code == "xa-hai-xuan"
    assert view.result.state is AssignmentState.ASSIGNED
    assert view.result.last_percent is None
    assert waker.woken == ["T-01"]
    with loaded.session_factory() as session:
        a = session.execute(select(Assignment).where(Assignment.id == view.result.id)).scalar_one()
        assert a.acknowledged_at is None
        assert a.escalation_level == 0
        lead = session.execute(select(Directive.lead_unit_id).where(Directive.code == "T-01"))
        assert lead.scalar_one() == a.unit_id  # the lead moved with it
        mail = (
            session.execute(
                select(Notice).where(Notice.kind == "assignment").order_by(Notice.id.desc())
            )
            .scalars()
            .first()
        )
        told = session.execute(select(Notice).where(Notice.kind == "reassigned_away")).scalars()
        [away] = list(told)
    assert mail is not None
    assert mail.recipient_email == "vanphong.haixuan@mongcai.local"
    assert "chuyển từ UBND xã Hải Tiến" in mail.body_text
    # The old unit is told the work moved away from it, to whom and why, with no links.
    assert away.recipient_email == "vanphong.haitien@mongcai.local"
    assert away.subject.startswith("[Chuyển đơn vị thực hiện] T-01")
    assert "chuyển cho UBND xã Hải Xuân" in away.subject
    assert "Kính gửi: Đồng chí" in away.body_text
    assert "UBND xã Hải Tiến" in away.body_text.split("\n")[0]
    assert "Địa bàn Hải Xuân" in away.body_text
    assert "http" not in away.body_text  # nothing to act on
    # The story keeps the old unit's part, and names both in the move.
    _d, events = timeline(loaded, "T-01")
    [moved] = [e for e in events if e.action == "assignment.reassigned"]
    assert moved.details["from_unit"] == "xa-hai-tien"
    assert moved.details["to_unit"] == "xa-hai-xuan"
    assert moved.details["from"] == "in_progress"
    assert any(e.action == "assignment.acknowledged" and e.unit == "xa-hai-tien" for e in events)
    assert verify_audit(loaded).ok
    # Counted once: the same total, now under Hải Xuân.
    after = status_by_unit(loaded, loaded.today())
    assert sum(r.total for r in after) == sum(r.total for r in before)
    totals = {r.unit_code: r.total for r in after}
    assert totals.get("xa-hai-tien", 0) == 0
    assert totals["xa-hai-xuan"] == 2  # T-02 and now T-01
    # The new unit's track works as any other: it acknowledges, and the sweep knows it.
    execute(loaded, Acknowledge(target=MOVED, actor="xã Hải Xuân"))
    sweep(loaded)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to_unit": "xa-khong-co"}, "Không có đơn vị mã 'xa-khong-co'"),
        ({"to_unit": "phong-nn"}, "đã được giao nhiệm vụ 'T-01'"),
        ({"to_unit": "xa-hai-tien"}, "đã được giao nhiệm vụ 'T-01'"),
        ({"reason": "  "}, "Cần nhập lý do chuyển đơn vị"),
    ],
)
def test_bad_reassignments_write_nothing(
    loaded: ServiceContext, fields: dict[str, str], words: str
) -> None:
    before = row_counts(loaded)
    with pytest.raises(FollowupError, match=words):
        _move(loaded, **fields)
    assert row_counts(loaded) == before


def test_finished_work_stays_with_its_unit(loaded: ServiceContext) -> None:
    execute(loaded, Cancel(target=HT, reason="Không còn cần", actor="vp"))
    before = row_counts(loaded)
    with pytest.raises(FollowupError, match="'đã hủy' sang 'đã giao'"):
        _move(loaded)
    assert row_counts(loaded) == before


def test_the_old_unit_no_longer_names_the_work(loaded: ServiceContext) -> None:
    _move(loaded)
    with pytest.raises(NotFoundError, match="không được giao"):
        execute(loaded, Acknowledge(target=HT, actor="xã Hải Tiến"))


@pytest.mark.postgres_matters("constraints")
def test_the_new_unit_gets_its_own_notices(loaded: ServiceContext, clock: ManualClock) -> None:
    """Each unit's term on the work has notices of its own: the new unit's receipt and its
    escalation for the same late deadline are sent, not taken for the old unit's."""
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HT, actor="xã Hải Tiến"))
    walk(loaded, clock, date(2021, 4, 2))  # T-01 is due 31 March: its deadline step climbs
    _move(loaded)
    execute(loaded, Acknowledge(target=MOVED, actor="xã Hải Xuân"))
    walk(loaded, clock, date(2021, 4, 5))
    with loaded.session_factory() as session:
        told = session.execute(
            select(Notice.kind, Notice.recipient_email, Notice.subject)
            .join(Assignment, Assignment.id == Notice.assignment_id)
            .join(Directive, Directive.id == Assignment.directive_id)
            .where(Directive.code == "T-01", Notice.kind.in_(["ack_receipt", "escalation"]))
            .order_by(Notice.id)
        ).all()
    receipts = [email for kind, email, _s in told if kind == "ack_receipt"]
    assert receipts == ["vanphong.haitien@mongcai.local", "vanphong.haixuan@mongcai.local"]
    late = [(email, subject) for kind, email, subject in told if kind == "escalation"]
    assert any("haitien" in email for email, _s in late)
    assert any(email == "vanphong.haixuan@mongcai.local" for email, _s in late), late
