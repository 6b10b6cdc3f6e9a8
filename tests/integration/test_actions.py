"""The service layer on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.db.models import Assignment, AuditEvent, Notice, ProgressReport
from followup.domain.clock import ManualClock
from followup.domain.errors import FollowupError, IllegalTransitionError
from followup.domain.states import AssignmentState
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.reporting.period_report import status_by_unit
from followup.services.reporting.reports import timeline, verify_audit
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    Assign,
    Cancel,
    Close,
    ReportDone,
    ReportProgress,
    SendBack,
)
from tests.helpers import HAI_TIEN, row_counts

HT = HAI_TIEN


def _notices(ctx: ServiceContext) -> list[Notice]:
    with ctx.session_factory() as session:
        return list(session.execute(select(Notice).order_by(Notice.id)).scalars())


def test_opening_a_meeting_assigns_and_queues_one_notice_per_unit(loaded: ServiceContext) -> None:
    notices = _notices(loaded)
    assert [(n.kind, n.recipient_email) for n in notices] == [
        ("assignment", "vanphong.haitien@mongcai.local"),
        ("assignment", "nn.officer@mongcai.local"),
        ("assignment", "vanphong.haixuan@mongcai.local"),
    ]
    # The department reads English; the communes Vietnamese, diacritics intact.
    assert notices[1].language == "en"
    assert "Sửa chữa kênh mương, đê biển" in notices[0].subject
    assert "&lt;trước&gt;" in notices[0].body_html
    assert "<trước>" in notices[0].body_text
    # "5 ngày làm việc" from Tue 9 Mar 2021 is Tue 16 Mar.
    with loaded.session_factory() as session:
        due = session.execute(
            select(Assignment.due_on).where(Assignment.unit.has(code="xa-hai-xuan"))
        ).scalar_one()
    assert due.isoformat() == "2021-03-16"


@pytest.mark.postgres_matters("locking", "types")
def test_full_lifecycle_writes_state_audit_and_notices(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=1))
    assert (
        execute(loaded, Acknowledge(target=HT, actor="xã")).result.state
        is AssignmentState.ACKNOWLEDGED
    )
    view = execute(
        loaded, ReportProgress(target=HT, percent=40, note="Đã nạo vét 2 km", actor="xã")
    ).result
    assert (view.state, view.last_percent) == (AssignmentState.IN_PROGRESS, 40)
    execute(loaded, ReportDone(target=HT, note="Xong", actor="xã"))
    sent_back = execute(
        loaded, SendBack(target=HT, reason="Thiếu ảnh nghiệm thu", actor="vp")
    ).result
    assert sent_back.state is AssignmentState.SENT_BACK
    clock.advance(timedelta(days=2))
    execute(loaded, ReportDone(target=HT, note="Bổ sung ảnh", actor="xã"))
    closed = execute(loaded, Close(target=HT, actor="vp")).result
    assert closed.state is AssignmentState.CLOSED

    _, events = timeline(loaded, "T-01")
    ours = [e.action for e in events if e.unit == "xa-hai-tien"]
    assert ours == [
        "assignment.assigned",
        "assignment.acknowledged",
        "assignment.progress_reported",
        "assignment.reported_done",
        "assignment.sent_back",
        "assignment.reported_done",
        "assignment.closed",
    ]
    kinds = [n.kind for n in _notices(loaded) if n.recipient_email.startswith("vanphong.haitien")]
    assert kinds == ["assignment", "ack_receipt", "send_back", "closure"]
    with loaded.session_factory() as session:
        reports = session.execute(select(ProgressReport.kind)).scalars().all()
    assert sorted(reports) == ["done", "done", "progress"]
    assert verify_audit(loaded).ok
    # Closed on 12 Mar for a 31 Mar deadline: done on time.
    by_unit = {r.unit_code: r for r in status_by_unit(loaded, loaded.today())}
    assert by_unit["xa-hai-tien"].counts["done_on_time"] == 1  # type: ignore[index]


def test_directive_version_moves_with_every_change(loaded: ServiceContext) -> None:
    first = execute(loaded, Acknowledge(target=HT, actor="xã")).result.directive_version
    second = execute(loaded, ReportProgress(target=HT, percent=10, note="a", actor="xã")).result
    assert second.directive_version == first + 1


BAD_ACTIONS = [
    (
        "unknown unit",
        lambda c: execute(c, Acknowledge(target=AssignmentRef("T-01", "xa-khong-co"), actor="x")),
        "Không có đơn vị mã 'xa-khong-co'",
    ),
    (
        "unknown directive",
        lambda c: execute(c, Acknowledge(target=AssignmentRef("T-99", "xa-hai-tien"), actor="x")),
        "Không có nhiệm vụ mã 'T-99'",
    ),
    (
        "unit not on directive",
        lambda c: execute(c, Acknowledge(target=AssignmentRef("T-02", "xa-hai-tien"), actor="x")),
        "không được giao",
    ),
    (
        "percent too high",
        lambda c: execute(c, ReportProgress(target=HT, percent=150, note="a", actor="x")).result,
        "từ 0 đến 100",
    ),
    (
        "percent negative",
        lambda c: execute(c, ReportProgress(target=HT, percent=-1, note="a", actor="x")).result,
        "từ 0 đến 100",
    ),
    (
        "empty progress note",
        lambda c: execute(c, ReportProgress(target=HT, percent=10, note="  ", actor="x")).result,
        "Cần nhập",
    ),
    (
        "close before done",
        lambda c: execute(c, Close(target=HT, actor="x")).result,
        "'đã giao' sang 'đã kết thúc'",
    ),
    (
        "done before ack",
        lambda c: execute(c, ReportDone(target=HT, note="x", actor="x")).result,
        "'đã giao' sang 'đã báo cáo hoàn thành'",
    ),
    (
        "send back without reason",
        lambda c: execute(c, SendBack(target=HT, reason="", actor="x")).result,
        "lý do",
    ),
    (
        "cancel without reason",
        lambda c: execute(c, Cancel(target=HT, reason=" ", actor="x")).result,
        "lý do",
    ),
    (
        "note too long",
        lambda c: execute(c, Acknowledge(target=HT, note="x" * 5000, actor="x")).result,
        "dài quá",
    ),
    (
        "assign twice",
        lambda c: execute(c, Assign(directive_code="T-01", unit_code="xa-hai-tien", actor="x")),
        "đã được giao",
    ),
    (
        "assign unknown unit",
        lambda c: execute(c, Assign(directive_code="T-01", unit_code="nope", actor="x")).result,
        "Không có đơn vị",
    ),
]


@pytest.mark.parametrize(
    ("label", "call", "expected"), BAD_ACTIONS, ids=[b[0] for b in BAD_ACTIONS]
)
@pytest.mark.postgres_matters("types")
def test_bad_input_is_one_clear_sentence_and_writes_nothing(
    loaded: ServiceContext, label: str, call: object, expected: str
) -> None:
    before = row_counts(loaded)
    with pytest.raises(FollowupError) as info:
        call(loaded)  # type: ignore[operator]
    message = str(info.value)
    assert expected in message
    assert message.count("\n") == 0
    assert row_counts(loaded) == before


def test_an_action_on_a_closed_assignment_is_refused(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=HT, actor="x"))
    execute(loaded, ReportDone(target=HT, note="xong", actor="x"))
    execute(loaded, Close(target=HT, actor="x"))
    before = row_counts(loaded)
    with pytest.raises(IllegalTransitionError, match="'đã kết thúc' sang 'đã hủy'"):
        execute(loaded, Cancel(target=HT, reason="nhầm", actor="x"))
    assert row_counts(loaded) == before


def test_assigning_a_supporting_unit_later(loaded: ServiceContext) -> None:
    execute(loaded, Assign(directive_code="T-02", unit_code="xa-hai-tien", actor="vp"))
    with loaded.session_factory() as session:
        actions_logged = (
            session.execute(
                select(AuditEvent.action).where(AuditEvent.action == "assignment.assigned")
            )
            .scalars()
            .all()
        )
    assert len(actions_logged) == 4
    assert [n.kind for n in _notices(loaded)].count("assignment") == 4


def test_an_answer_is_checked_again_in_its_own_transaction(loaded: ServiceContext) -> None:
    """A change landing after the run's first look at an answer is still caught: the check
    runs again with the assignment locked, and the answer writes nothing."""
    from followup.domain.errors import StaleInputError
    from followup.services.queries import get_directive
    from followup.services.write.change import ConsumedInput
    from followup.services.write.run_inputs import position

    with loaded.session_factory() as session:
        directive_id = get_directive(session, "T-01").id
    version, _ = position(loaded, directive_id)
    execute(loaded, Acknowledge(target=HT, actor="xã"))  # lands after the first look
    before = row_counts(loaded)
    late = ConsumedInput("v-late", "progress", directive_id, based_on=version)
    with pytest.raises(StaleInputError):
        execute(loaded, ReportProgress(target=HT, percent=5, note="a", actor="vp"), receipt=late)
    assert row_counts(loaded) == before
    fresh = ConsumedInput(
        "v-fresh", "progress", directive_id, based_on=position(loaded, directive_id)[0]
    )
    execute(loaded, ReportProgress(target=HT, percent=5, note="a", actor="vp"), receipt=fresh)
