"""Period reports replayed from the audit trail, on a real SQLite file and PostgreSQL: the
figures of a period that has ended do not move when later work is done, each report names the
chain's head it read, and the replay as of today agrees with the live assignments."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from followup.db.models import Assignment, AuditEvent, Unit
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.errors import ValidationError
from followup.domain.periods import choose_period, month_period, quarter_period
from followup.domain.status import FourWay, assignment_status
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.reporting.period_report import (
    Dimension,
    PeriodReport,
    events_up_to,
    period_report,
)
from followup.services.reporting.reports import assignment_dates
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    ApproveExtension,
    Close,
    Reassign,
    ReportDone,
    RequestExtension,
)
from followup.services.write.meetings import meeting_from_file
from followup.services.write.units import load_units_file
from tests.conftest import DATA
from tests.helpers import HAI_TIEN, run_cli, url_of, walk

NN = AssignmentRef("T-01", "phong-nn")
HX = AssignmentRef("T-02", "xa-hai-xuan")
ON, LATE, OPEN, OVER = (
    FourWay.DONE_ON_TIME,
    FourWay.DONE_LATE,
    FourWay.OPEN_ON_TIME,
    FourWay.OVERDUE,
)


def _counts(report: PeriodReport, by: Dimension) -> dict[str, dict[FourWay, int]]:
    return {row.unit_code: {k: v for k, v in row.counts.items() if v} for row in report.views[by]}


def _at(ctx: ServiceContext, clock: ManualClock, day: date) -> None:
    clock.set(start_of_local_day(day))


def _live(ctx: ServiceContext, as_of: date) -> dict[str, dict[FourWay, int]]:
    """The four-way by unit straight from the assignments table, as of a day."""
    found: dict[str, dict[FourWay, int]] = {}
    with ctx.session_factory() as session:
        for a, code in session.execute(
            select(Assignment, Unit.code).join(Unit, Unit.id == Assignment.unit_id)
        ):
            status = assignment_status(assignment_dates(a), as_of)
            if status is not None:
                counts = found.setdefault(code, {})
                counts[status] = counts.get(status, 0) + 1
    return found


def _same(projected: PeriodReport, replayed: PeriodReport) -> None:
    """The projection's report and the trail's replay agree on everything they show."""
    assert projected.chain == replayed.chain
    assert projected.views == replayed.views
    assert projected.overdue == replayed.overdue


@pytest.mark.postgres_matters("sql")
def test_a_months_figures_do_not_move_when_later_work_is_done(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    _at(loaded, clock, date(2021, 3, 10))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    _at(loaded, clock, date(2021, 3, 25))
    execute(loaded, ReportDone(target=HAI_TIEN, actor="xã", note="Đã tu sửa xong"))
    _at(loaded, clock, date(2021, 3, 26))
    execute(loaded, Close(target=HAI_TIEN, actor="văn phòng"))
    walk(loaded, clock, date(2021, 3, 31))  # T-02 (Hải Xuân, due 16/03) escalates

    march = month_period("2021-03")
    at_the_time = period_report(loaded, march)

    # April: Hải Xuân gets an extension to 15/04 and finishes; the department finishes late.
    _at(loaded, clock, date(2021, 4, 1))
    execute(loaded, Acknowledge(target=HX, actor="xã"))
    execute(
        loaded,
        RequestExtension(target=HX, actor="xã", until=date(2021, 4, 15), reason="Thiếu nhân lực"),
    )
    execute(loaded, ApproveExtension(target=HX, actor="văn phòng"))
    _at(loaded, clock, date(2021, 4, 2))
    execute(loaded, Acknowledge(target=NN, actor="phòng"))
    execute(loaded, ReportDone(target=NN, actor="phòng", note="Done"))
    execute(loaded, Close(target=NN, actor="văn phòng"))
    _at(loaded, clock, date(2021, 4, 9))
    execute(loaded, ReportDone(target=HX, actor="xã", note="Đã thu đủ"))
    execute(loaded, Close(target=HX, actor="văn phòng"))
    _at(loaded, clock, date(2021, 4, 10))

    later = period_report(loaded, march)
    expected = {
        "phong-nn": {OPEN: 1},
        "xa-hai-tien": {ON: 1},
        "xa-hai-xuan": {OVER: 1},
    }
    assert _counts(at_the_time, Dimension.UNIT) == expected
    assert _counts(later, Dimension.UNIT) == expected
    # Computed from today's assignments instead, March would have changed: the extension
    # approved in April moves Hải Xuân's deadline past the end of March.
    assert _live(loaded, date(2021, 3, 31))["xa-hai-xuan"] == {OPEN: 1}

    assert later.chain == at_the_time.chain
    with loaded.session_factory() as session:
        last_march = session.execute(
            select(func.max(AuditEvent.seq)).where(
                AuditEvent.occurred_at < start_of_local_day(date(2021, 4, 1)) - timedelta(hours=8)
            )
        ).scalar_one()
        digest = session.execute(
            select(AuditEvent.hash).where(AuditEvent.seq == last_march)
        ).scalar_one()
    assert (later.chain.seq, later.chain.hash) == (last_march, digest)

    # Directives, by meeting, lead unit and field: T-01 is open (the department is not done).
    assert _counts(later, Dimension.MEETING) == {"MC-TEST": {OPEN: 1, OVER: 1}}
    assert _counts(later, Dimension.LEAD) == {"xa-hai-tien": {OPEN: 1}, "xa-hai-xuan": {OVER: 1}}
    assert _counts(later, Dimension.FIELD) == {"": {OVER: 1}, "Phòng chống thiên tai": {OPEN: 1}}
    assert [r.unit_name for r in later.views[Dimension.FIELD]] == [
        "(chưa ghi lĩnh vực)",
        "Phòng chống thiên tai",
    ]

    # The overdue list at the end of March: 15 days late, 11 working days, ladder reached.
    [row] = later.overdue
    assert (row.directive_code, row.unit_name, row.original_due_on, row.extended_due_on) == (
        "T-02",
        "UBND xã Hải Xuân",
        date(2021, 3, 16),
        None,
    )
    assert (row.days_late, row.working_days_late) == (15, 11)
    assert row.escalation_level >= 1
    assert row.last_action == "assignment.escalated"

    # Replayed from the trail itself, March says the same; what its progress bar is told:
    # events read, up to all the replay reads.
    seen: list[int] = []
    replayed = period_report(loaded, march, from_trail=True, progress=seen.append, batch=4)
    _same(replayed, later)
    assert seen == sorted(seen)
    assert len(seen) > 1
    assert seen[-1] == events_up_to(loaded, march) == replayed.events_read

    # April: what was in play (Hải Tiến closed in March is left out), as of today (10/04).
    april = period_report(loaded, month_period("2021-04"))
    assert april.as_of == date(2021, 4, 10)
    assert _counts(april, Dimension.UNIT) == {"phong-nn": {LATE: 1}, "xa-hai-xuan": {ON: 1}}
    assert april.overdue == []
    assert april.chain.seq > later.chain.seq


@pytest.mark.postgres_matters("sql")
def test_a_lead_reassigned_later_leaves_the_past_periods_lead_view(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    walk(loaded, clock, date(2021, 3, 31))
    march = month_period("2021-03")
    at_the_time = _counts(period_report(loaded, march), Dimension.LEAD)
    assert at_the_time["xa-hai-xuan"] == {OVER: 1}  # T-02, led by Hải Xuân
    _at(loaded, clock, date(2021, 4, 2))
    execute(loaded, Reassign(target=HX, to_unit="xa-hai-tien", reason="Địa bàn", actor="vp"))
    later = period_report(loaded, march)
    assert _counts(later, Dimension.LEAD) == at_the_time
    assert [r.unit_name for r in later.views[Dimension.LEAD]] == [
        "UBND xã Hải Tiến",
        "UBND xã Hải Xuân",
    ]
    _same(period_report(loaded, march, from_trail=True), later)
    april = period_report(loaded, month_period("2021-04"))
    assert "xa-hai-xuan" not in _counts(april, Dimension.LEAD)  # moved from April on
    assert _counts(april, Dimension.LEAD)["xa-hai-tien"] == {OVER: 2}  # T-01 and now T-02
    _same(period_report(loaded, month_period("2021-04"), from_trail=True), april)


@pytest.mark.postgres_matters("sql")
def test_the_replay_agrees_with_the_live_assignments_every_day(
    loaded: ServiceContext, clock: ManualClock
) -> None:
    steps = {
        date(2021, 3, 10): [Acknowledge(target=HAI_TIEN, actor="xã")],
        date(2021, 3, 18): [
            Acknowledge(target=HX, actor="xã"),
            RequestExtension(target=HX, actor="xã", until=date(2021, 3, 26), reason="Mưa"),
            ApproveExtension(target=HX, actor="vp"),
        ],
        date(2021, 3, 22): [ReportDone(target=HX, actor="xã", note="Xong")],
        date(2021, 3, 29): [Close(target=HX, actor="vp")],
    }
    day = date(2021, 3, 9)
    while day <= date(2021, 4, 5):
        _at(loaded, clock, day)
        for command in steps.get(day, []):
            execute(loaded, command)
        walk(loaded, clock, day)
        period = choose_period(today=day)
        projected = period_report(loaded, period)
        assert _counts(projected, Dimension.UNIT) == _live(loaded, day), day
        _same(projected, period_report(loaded, period, from_trail=True))
        day += timedelta(days=1)
    # Every report of the month, as of each of its days, read from the projection equals the
    # replay of the trail (the projection is only a faster way of reading it).
    for last in (date(2021, 3, d) for d in range(9, 32)):
        period = choose_period(today=date(2021, 4, 5), start=date(2021, 3, 1), end=last)
        _same(period_report(loaded, period), period_report(loaded, period, from_trail=True))


def test_working_days_late_leave_out_tet(
    ctx: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    load_units_file(ctx, DATA / "units.toml", actor="test")
    meeting = tmp_path / "tet.toml"
    meeting.write_text(
        (DATA / "meeting.toml")
        .read_text(encoding="utf-8")
        .replace("2021-03-09", "2021-02-01")
        .replace('"2021-03-31"', '"2021-02-05"'),
        encoding="utf-8",
    )
    _at(ctx, clock, date(2021, 2, 1))
    execute(ctx, meeting_from_file(meeting, actor="test"))
    _at(ctx, clock, date(2021, 3, 2))
    report = period_report(
        ctx, choose_period(today=ctx.today(), start=date(2021, 2, 1), end=date(2021, 2, 26))
    )
    late = {r.unit_code: (r.days_late, r.working_days_late) for r in report.overdue}
    # Due Fri 5/2; Tết closes offices from Wed 10/2 to Tue 16/2: 21 days, 10 working days.
    assert late["xa-hai-tien"] == (21, 10)
    assert report.period.title == "từ 01/02/2021 đến 26/02/2021"


def test_periods_are_named_as_officials_name_them() -> None:
    q2 = quarter_period("2021Q2")
    assert (q2.start, q2.end, q2.title) == (date(2021, 4, 1), date(2021, 6, 30), "quý II/2021")
    assert quarter_period("Q4/2020").end == date(2020, 12, 31)
    december = month_period("12/2021")
    assert (december.start, december.end, december.title) == (
        date(2021, 12, 1),
        date(2021, 12, 31),
        "tháng 12/2021",
    )
    assert month_period("2024-02").end == date(2024, 2, 29)
    for bad, message in (
        (lambda: month_period("2021-13"), "tháng phải từ 1 đến 12"),
        (lambda: month_period("March"), "Tháng 'March' không hợp lệ"),
        (lambda: quarter_period("2021Q5"), "Quý '2021Q5' không hợp lệ"),
        (
            lambda: choose_period(today=date(2021, 5, 1), month="2021-03", quarter="2021Q1"),
            "không dùng cùng lúc --month và --quarter",
        ),
        (
            lambda: choose_period(
                today=date(2021, 5, 1), start=date(2021, 4, 2), end=date(2021, 4, 1)
            ),
            "sau ngày kết thúc",
        ),
        (lambda: choose_period(today=date(2021, 5, 1), month="2021-06"), "chưa bắt đầu"),
    ):
        with pytest.raises(ValidationError, match=message):
            bad()


def _cell_day(day: date) -> datetime:
    """A date as a spreadsheet cell holds it: a datetime at midnight, no zone."""
    return datetime.combine(day, datetime.min.time())


def test_the_workbook_has_a_sheet_per_view_real_dates_and_a_chart(
    loaded: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    _at(loaded, clock, date(2021, 3, 10))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    walk(loaded, clock, date(2021, 3, 31))
    url = url_of(loaded)
    path = tmp_path / "thang-3.xlsx"
    made = run_cli(
        "report", "status", "--month", "2021-03", "--format", "xlsx", "--output", str(path), url=url
    )
    assert made.returncode == 0, made.stderr
    assert f"Đã ghi {path}" in made.stdout

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Thông tin",
        "Theo đơn vị",
        "Theo cuộc họp",
        "Theo đơn vị chủ trì",
        "Theo lĩnh vực",
        "Quá hạn",
    ]
    about = {row[0]: row[1] for row in book["Thông tin"].iter_rows(min_row=3, values_only=True)}
    report = period_report(loaded, month_period("2021-03"))
    assert about["Kỳ báo cáo"] == "tháng 3/2021"
    assert about["Số liệu đến ngày"] == _cell_day(date(2021, 3, 31))
    assert (about["Nhật ký đến sự kiện số"], about["Mã băm nhật ký tại đó"]) == (
        report.chain.seq,
        report.chain.hash,
    )

    units = [list(r) for r in book["Theo đơn vị"].iter_rows(values_only=True)]
    assert units[0] == [
        "Mã đơn vị",
        "Đơn vị",
        "Hoàn thành đúng hạn",
        "Hoàn thành quá hạn",
        "Đang thực hiện trong hạn",
        "Quá hạn",
        "Tổng",
        "Tỷ lệ hoàn thành đúng hạn",
    ]
    assert units[1:] == [
        ["phong-nn", "Phòng Nông nghiệp và Phát triển nông thôn", 0, 0, 1, 0, 1, 0],
        ["xa-hai-tien", "UBND xã Hải Tiến", 0, 0, 1, 0, 1, 0],
        ["xa-hai-xuan", "UBND xã Hải Xuân", 0, 0, 0, 1, 1, 0],
        [None, "Tổng", 0, 0, 2, 1, 3, 0],
    ]
    assert book["Theo đơn vị"]["H2"].number_format == "0.0%"

    overdue = [list(r) for r in book["Quá hạn"].iter_rows(values_only=True)]
    assert overdue[0][:4] == ["Nhiệm vụ", "Tên nhiệm vụ", "Đơn vị", "Hạn ban đầu"]
    [row] = overdue[1:]
    assert row[:6] == [
        "T-02",
        "Hoàn thành thu ngân sách",
        "UBND xã Hải Xuân",
        _cell_day(date(2021, 3, 16)),
        None,
        15,
    ]
    assert (row[6], row[8]) == (11, "đôn đốc")
    assert book["Quá hạn"]["D2"].number_format == "dd/mm/yyyy"

    # The bar chart of the four-way by unit (openpyxl does not read charts back: the XML).
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        chart = archive.read(charts[0]).decode("utf-8")
    assert "<c:barChart>" in chart
    assert '<c:grouping val="stacked"/>' in chart
    assert "'Theo đơn vị'!$B$2:$B$4" in chart
    assert "Tình trạng nhiệm vụ theo đơn vị, tháng 3/2021" in chart


def test_report_options_refuse_what_they_cannot_mean(loaded: ServiceContext) -> None:
    url = url_of(loaded)
    for args, message in (
        (["--month", "2021-3x"], "Tháng '2021-3x' không hợp lệ"),
        (["--quarter", "2021Q1", "--month", "2021-03"], "không dùng cùng lúc --month và --quarter"),
        (["--as-of", "01/03/2021", "--to", "05/03/2021"], "Dùng --as-of hoặc --from/--to"),
        (["--from", "05/03/2021", "--to", "01/03/2021"], "sau ngày kết thúc"),
        (["--by", "province"], "province"),
    ):
        result = run_cli("report", "status", *args, url=url)
        assert result.returncode != 0, args
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
