"""The four lifecycle steps a directive's run shows: which notices each step sends, the
sentence each step reports and the tags the run gets, on real databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from followup.db.models import Directive, Notice
from followup.domain.clock import ManualClock
from followup.domain.lifecycle import LifecycleStep
from followup.domain.periods import Period
from followup.domain.status import FourWay
from followup.domain.vocabulary import NoticeKind
from followup.notifications.steps import of_step, step_of
from followup.orchestration.lifecycle import (
    SUMMARIES,
    TAG_EXTENSION,
    TAG_FINISHED,
    TAG_OVERDUE,
    TAG_WAITING_ACK,
    TAG_WAITING_VERIFICATION,
    run_name,
    status_tags,
)
from followup.orchestration.overview import (
    Overview,
    city_overview,
    meeting_artifact_key,
    meeting_markdown,
    meeting_view,
    overview_markdown,
)
from followup.services.context import ServiceContext
from followup.services.queries import directive_version, get_directive
from followup.services.read.story import story_since
from followup.services.refs import AssignmentRef
from followup.services.reporting.period_model import (
    ChainMark,
    Dimension,
    PeriodOverdue,
    PeriodReport,
)
from followup.services.reporting.reports import directive_state
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    Close,
    ReportDone,
    ReportProgress,
    RequestExtension,
)
from tests.helpers import HAI_TIEN, raw_values_in, walk

NN = AssignmentRef("T-01", "phong-nn")
HAI_XUAN = AssignmentRef("T-02", "xa-hai-xuan")


def _summary(ctx: ServiceContext, code: str, step: LifecycleStep) -> str:
    return SUMMARIES[step](directive_state(ctx, code), 0)


def test_every_notice_belongs_to_exactly_one_step_and_the_query_agrees(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    execute(loaded, ReportProgress(target=HAI_TIEN, percent=40, note="Đang nạo vét", actor="xã"))
    walk(loaded, clock, date(2021, 3, 30))  # Hải Xuân and the department stay silent
    execute(loaded, ReportDone(target=HAI_TIEN, note="Xong", actor="xã"))
    execute(loaded, Close(target=HAI_TIEN, actor="văn phòng"))
    with loaded.session_factory() as session:
        notices = {n.id: n for n in session.execute(select(Notice)).scalars()}
        selected = {
            step: set(session.execute(select(Notice.id).where(of_step(step))).scalars())
            for step in LifecycleStep
        }
    kinds = {NoticeKind(n.kind) for n in notices.values()}
    assert {NoticeKind.ASSIGNMENT, NoticeKind.ESCALATION, NoticeKind.CLOSURE} <= kinds
    for notice_id, notice in notices.items():
        owners = [step for step, ids in selected.items() if notice_id in ids]
        step = step_of(NoticeKind(notice.kind), notice.dedupe_key)
        # A leader's gathered escalations are the office's, no one directive's step.
        assert owners == ([] if step is None else [step]), notice.dedupe_key
    ack_escalations = [
        n for n in notices.values() if n.kind == "escalation" and ":escalation:ack:" in n.dedupe_key
    ]
    assert ack_escalations
    assert all(n.id in selected[LifecycleStep.ACKNOWLEDGEMENT] for n in ack_escalations)


def test_each_step_says_where_it_stands_and_the_tags_follow(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    state = directive_state(loaded, "T-02")
    assert status_tags(state) == [
        "cuộc họp: MC-TEST",
        "chủ trì: UBND xã Hải Xuân",
        TAG_WAITING_ACK,
    ]
    assert run_name(state) == "T-02 · Hoàn thành thu ngân sách"
    assert _summary(loaded, "T-02", LifecycleStep.ASSIGNMENT) == (
        "Đã giao 1 đơn vị (chủ trì: UBND xã Hải Xuân)."
    )

    walk(loaded, clock, date(2021, 3, 16))  # silent: the ladder climbs on acknowledgement
    ack = _summary(loaded, "T-02", LifecycleStep.ACKNOWLEDGEMENT)
    assert ack.startswith("0/1 đơn vị đã tiếp nhận; chưa: UBND xã Hải Xuân — đã đôn đốc cấp ")
    assert "ngày 1" in ack  # the day of the last rung, dd/mm

    execute(loaded, Acknowledge(target=HAI_XUAN, actor="xã"))
    walk(loaded, clock, date(2021, 3, 18))  # due 16/03: overdue by now
    state = directive_state(loaded, "T-02")
    assert TAG_OVERDUE in status_tags(state)
    assert TAG_WAITING_ACK not in status_tags(state)
    progress = _summary(loaded, "T-02", LifecycleStep.PROGRESS)
    assert progress.startswith("Đang thực hiện: UBND xã Hải Xuân chưa báo cáo, quá hạn ")
    assert "ngày" in progress

    execute(
        loaded, RequestExtension(target=HAI_XUAN, until=date(2021, 4, 2), reason="Mưa", actor="xã")
    )
    assert TAG_EXTENSION in status_tags(directive_state(loaded, "T-02"))
    assert "đề nghị gia hạn đến 02/04/2021" in _summary(loaded, "T-02", LifecycleStep.PROGRESS)

    execute(loaded, ReportDone(target=HAI_XUAN, note="Đã thu đủ", actor="xã"))
    assert TAG_WAITING_VERIFICATION in status_tags(directive_state(loaded, "T-02"))
    assert _summary(loaded, "T-02", LifecycleStep.CLOSURE) == (
        "0/1 đơn vị đã kết thúc; chờ xác minh: UBND xã Hải Xuân."
    )
    execute(loaded, Close(target=HAI_XUAN, actor="văn phòng"))
    state = directive_state(loaded, "T-02")
    assert status_tags(state)[-1] == TAG_FINISHED
    assert TAG_OVERDUE not in status_tags(state)
    assert _summary(loaded, "T-02", LifecycleStep.CLOSURE) == (
        "1/1 đơn vị đã kết thúc; nhiệm vụ đã kết thúc."
    )
    assert _summary(loaded, "T-02", LifecycleStep.PROGRESS) == "Không còn đơn vị đang thực hiện."


def test_the_story_a_run_logs_reads_in_labels_and_unit_names(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="Lê Thị Hồng"))
    walk(loaded, clock, date(2021, 3, 16))
    lines = story_since(loaded, "T-01", 0)
    text = "\n".join(line.text for line in lines)
    assert "chủ trì: UBND xã Hải Tiến" in text
    assert "phối hợp: Phòng Nông nghiệp và Phát triển nông thôn" in text
    assert "vai trò: chủ trì" in text
    assert "bởi Lê Thị Hồng" in text
    assert raw_values_in(text) == []
    assert "xa-hai-tien" not in text
    later = story_since(loaded, "T-01", lines[2].seq)
    assert [line.seq for line in later] == [line.seq for line in lines[3:]]


def test_a_pass_tells_only_up_to_the_version_it_read_and_the_next_tells_the_rest(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    # A pass reads the directive at version V; an action lands while it sends (V+1). It tells
    # up to V and suspends at V; the next pass, from V, tells V+1: once, not twice.
    with loaded.session_factory() as session:
        read = directive_version(session, get_directive(session, "T-01").id)
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="Lê Thị Hồng"))
    this_pass = story_since(loaded, "T-01", 0, upto=read)
    next_pass = story_since(loaded, "T-01", read)
    assert this_pass
    assert all(line.seq <= read for line in this_pass)
    told = [line.seq for line in this_pass + next_pass]
    assert len(told) == len(set(told))  # nothing twice
    assert [line.action for line in next_pass] == ["assignment.acknowledged"]


def test_the_city_overview_counts_by_unit_and_lists_the_overdue(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=1))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    walk(loaded, clock, date(2021, 3, 19))  # T-02 (Hải Xuân, due 16/03) is 3 days late
    view = city_overview(loaded)
    assert [(r.directive_code, r.unit_name, r.days_late) for r in view.overdue] == [
        ("T-02", "UBND xã Hải Xuân", 3)
    ]
    assert view.overdue[0].escalation_level >= 1
    totals = view.totals()
    assert sum(totals.values()) == 3  # three assignments, each counted once
    assert totals[FourWay.OVERDUE] == 1
    text = overview_markdown(view)
    assert "# Tổng hợp thực hiện nhiệm vụ đến ngày 19/03/2021" in text
    row = (
        "- **T-02** · Hoàn thành thu ngân sách — UBND xã Hải Xuân: hạn 16/03/2021, "
        "**quá hạn 3 ngày** (3 ngày làm việc); đôn đốc: cấp"
    )
    assert row in text
    assert "| Đơn vị | Đúng hạn | Trễ hạn | Trong hạn | Quá hạn | Tổng | Tỷ lệ |" in text
    assert "_trong hạn_: đang thực hiện, chưa đến hạn" in text
    assert "| **Tổng** |" in text
    for heading in ("đơn vị", "cuộc họp", "đơn vị chủ trì", "lĩnh vực"):
        assert f"## Theo {heading} (" in text
    assert f"followup audit verify --against {view.report.chain.hash}" in text
    assert raw_values_in(text) == []


def test_the_overview_shows_titles_as_typed() -> None:
    row = PeriodOverdue(
        directive_code="T-09",
        title="Kè | đê *biển* <b>",
        unit_code="xa-a",
        unit_name="Xã | A",
        original_due_on=date(2021, 3, 1),
        extended_due_on=None,
        days_late=8,
        working_days_late=6,
        escalation_level=0,
        last_action="assignment.assigned",
        last_action_on=date(2021, 3, 1),
    )
    report = PeriodReport(
        Period(date(2021, 3, 9)),
        date(2021, 3, 9),
        ChainMark(0, "0" * 64),
        views={key: [] for key in Dimension},
        overdue=[row],
    )
    text = overview_markdown(Overview(report, undelivered=2))
    assert "Kè \\| đê \\*biển\\* &lt;b>" in text
    assert "— Xã \\| A: hạn 01/03/2021" in text
    assert "2 thông báo không gửi được" in text
    assert "**quá hạn 8 ngày** (6 ngày làm việc); đôn đốc: chưa" in text


def test_a_meeting_lists_its_directives_linked_to_their_runs(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    with loaded.session_factory() as session, session.begin():
        session.execute(
            update(Directive)
            .where(Directive.code == "T-01")
            .values(flow_run_id="1b667e76-c9a4-4c3b-bdac-de14d01a97c4")
        )
    walk(loaded, clock, date(2021, 3, 19))
    view = meeting_view(loaded, "MC-TEST")
    assert [(d.code, d.lead, d.open_parts, d.overdue_parts) for d in view.directives] == [
        ("T-01", "UBND xã Hải Tiến", 2, 0),
        ("T-02", "UBND xã Hải Xuân", 1, 1),
    ]
    text = meeting_markdown(view)
    assert "hạn 31/03/2021; còn mở 2, quá hạn 0; [mở lượt](/runs/flow-run/1b667e76-c9a4-" in text
    late = (
        "- **T-02** · Hoàn thành thu ngân sách — chủ trì: UBND xã Hải Xuân; hạn 16/03/2021; "
        "còn mở 1, **quá hạn 1**; chưa có lượt"
    )
    assert late in text
    assert "Ngày họp 09/03/2021, chủ trì: Bí thư Thành ủy" in text
    assert meeting_artifact_key("MC-TEST") == "cuoc-hop-mc-test"
