"""Reports: the four-way statistic of a period by unit, meeting, lead unit or field, the
overdue list, and the audit trail checked and read."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from followup.cli.common import (
    DirectiveCode,
    Failed,
    UnitCode,
    context,
    err,
    out,
    parse_date,
    settings,
)
from followup.domain.clock import LOCAL_TZ
from followup.domain.periods import Period, choose_period
from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.services.audit_query import (
    AuditFilter,
    AuditRow,
    ResponseTimes,
    audit_kind,
    days_text,
    median,
    percentile_90,
    query_events,
    response_times,
)
from followup.services.commands import AssignmentRef
from followup.services.context import ServiceContext
from followup.services.evidence import checked_content, evidence_of
from followup.services.overview import chain_text, deadline_text
from followup.services.period_report import (
    DIMENSION_TITLES,
    Dimension,
    PeriodReport,
    events_up_to,
    period_report,
)
from followup.services.report_files import (
    action_text,
    four_way_csv,
    overdue_csv,
    report_json,
    report_workbook,
)
from followup.services.reports import (
    RATE,
    TOTAL,
    UnitStatus,
    ladder_text,
    rate_text,
    timeline,
    totals_of,
    verify_audit,
)
from followup.services.story import describe
from followup.services.undelivered import undelivered_count
from followup.services.units import unit_names

app = typer.Typer()
audit_app = typer.Typer(help="Nhật ký thay đổi.", no_args_is_help=True)
report_app = typer.Typer(help="Báo cáo.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


#: The options every report takes.
AsOf = Annotated[str | None, typer.Option("--as-of", help="Tính đến ngày (dd/mm/yyyy).")]
FromDay = Annotated[str | None, typer.Option("--from", help="Kỳ báo cáo từ ngày (dd/mm/yyyy).")]
ToDay = Annotated[str | None, typer.Option("--to", help="Kỳ báo cáo đến ngày (dd/mm/yyyy).")]
Month = Annotated[str | None, typer.Option("--month", help="Kỳ báo cáo là một tháng: 2021-03.")]
Quarter = Annotated[str | None, typer.Option("--quarter", help="Kỳ báo cáo là một quý: 2021Q2.")]
FormatOption = Annotated[Format, typer.Option("--format", help="table, csv, json hoặc xlsx.")]
Output = Annotated[
    Path | None,
    typer.Option(help="Ghi ra tệp (CSV có BOM để Excel hiển thị đúng dấu; XLSX luôn ghi ra tệp)."),
]
By = Annotated[
    Dimension,
    typer.Option(
        "--by",
        help="Thống kê theo: unit (đơn vị), meeting (cuộc họp), lead (đơn vị "
        "chủ trì) hoặc field (lĩnh vực).",
    ),
]

#: Above this many events, reading the trail shows a progress bar.
PROGRESS_ABOVE = 5000


def _period(
    ctx: ServiceContext,
    *,
    as_of: str | None = None,
    start: str | None = None,
    end: str | None = None,
    month: str | None = None,
    quarter: str | None = None,
) -> Period:
    if as_of and (start or end):
        raise Failed("Dùng --as-of hoặc --from/--to, không dùng cùng lúc.")
    return choose_period(
        today=ctx.today(),
        month=month,
        quarter=quarter,
        start=parse_date(start, what="Ngày bắt đầu"),
        end=parse_date(end or as_of, what="Ngày kết thúc" if end else "Ngày"),
    )


def _report(ctx: ServiceContext, period: Period) -> PeriodReport:
    """The period report, with a progress bar on a terminal when the trail is long."""
    total = events_up_to(ctx, period)
    if total <= PROGRESS_ABOVE or not err.is_terminal:
        return period_report(ctx, period)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Đọc nhật ký", total=total)
        return period_report(ctx, period, progress=lambda read: bar.update(task, completed=read))


def _footer(report: PeriodReport) -> str:
    return chain_text(report).strip("_")


@app.command("status")
def status_cmd(as_of: AsOf = None, fmt: FormatOption = Format.table, output: Output = None) -> None:
    """Thống kê bốn loại tình trạng nhiệm vụ theo đơn vị (như 'report status --by unit')."""
    report_status(as_of=as_of, fmt=fmt, output=output)


@report_app.command("status")
def report_status(
    by: By = Dimension.UNIT,
    month: Month = None,
    quarter: Quarter = None,
    start: FromDay = None,
    end: ToDay = None,
    as_of: AsOf = None,
    fmt: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Thống kê bốn loại tình trạng (hoàn thành đúng hạn, quá hạn, đang thực hiện trong hạn,
    quá hạn) theo đơn vị, cuộc họp, đơn vị chủ trì hoặc lĩnh vực, cho một kỳ hoặc đến một
    ngày. Số liệu tính từ nhật ký như nó đứng ở cuối kỳ, nên kỳ đã qua không đổi."""
    with context(wake=False) as ctx:
        period = _period(ctx, as_of=as_of, start=start, end=end, month=month, quarter=quarter)
        report = _report(ctx, period)
        undelivered = undelivered_count(ctx)
        now = ctx.clock.now()
    if fmt is Format.xlsx:
        _write_bytes(report_workbook(report, generated_at=now), output, report)
        return
    if fmt is Format.json:
        text = report_json(report, [by], undelivered=undelivered)
    elif fmt is Format.csv:
        text = four_way_csv(report, by)
    else:
        heading, counted = DIMENSION_TITLES[by]
        table = status_table(
            report.views[by],
            title=f"Tình trạng {counted} {report.period.title}"
            + ("" if report.as_of == report.period.end else f" (đến ngày {report.as_of:%d/%m/%Y})"),
            heading=heading,
        )
        table.caption = _footer(report)
        if output is None:
            out.print(table)
            if undelivered:
                out.print(
                    f"Thông báo không gửi được (đã ngừng thử): {undelivered} — gửi lại bằng "
                    "'followup notices requeue'.",
                    highlight=False,
                )
            return
        text = _rendered(table)
    _write(text, fmt, output)


def _rendered(table: Table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=160).print(table)
    return buffer.getvalue()


def _write(text: str, fmt: Format, output: Path | None) -> None:
    """A report to standard output, or to a file (CSV with a BOM, so Excel shows the marks)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8-sig" if fmt is Format.csv else "utf-8")
        out.print(f"Đã ghi {output}", highlight=False)


def _write_bytes(data: bytes, output: Path | None, report: PeriodReport) -> None:
    """A workbook goes to a file: the one named, or bao-cao-<period>.xlsx here."""
    path = output or Path(f"bao-cao-{report.period.key.replace('..', '_').strip('_')}.xlsx")
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise Failed(f"Không ghi được tệp {path}: {exc.strerror}.") from None
    out.print(f"Đã ghi {path}", highlight=False)


#: The overdue list on a terminal (the files carry every column, the titles too).
OVERDUE_TABLE = ("Nhiệm vụ", "Đơn vị", "Hạn", "Quá hạn", "Đôn đốc", "Thao tác cuối")


@report_app.command("overdue")
def report_overdue(
    month: Month = None,
    quarter: Quarter = None,
    start: FromDay = None,
    end: ToDay = None,
    as_of: AsOf = None,
    fmt: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Danh sách phần việc quá hạn: nhiệm vụ, đơn vị, hạn ban đầu và hạn sau gia hạn, số ngày
    (và ngày làm việc) quá hạn, cấp đôn đốc đã tới, thao tác cuối (cùng bảng mà Prefect UI
    hiển thị sau mỗi lần đôn đốc). Với một kỳ: các phần việc quá hạn ở cuối kỳ."""
    with context(wake=False) as ctx:
        period = _period(ctx, as_of=as_of, start=start, end=end, month=month, quarter=quarter)
        report = _report(ctx, period)
        now = ctx.clock.now()
    if fmt is Format.xlsx:
        _write_bytes(report_workbook(report, generated_at=now), output, report)
        return
    if fmt is Format.json:
        text = report_json(report, [])
    elif fmt is Format.csv:
        text = overdue_csv(report.overdue)
    else:
        rows = report.overdue
        table = Table(title=f"Quá hạn đến ngày {report.as_of:%d/%m/%Y}: {len(rows)} phần việc")
        for column in OVERDUE_TABLE:
            table.add_column(column, no_wrap=column == "Nhiệm vụ")
        for r in rows:
            table.add_row(
                r.directive_code,
                r.unit_name,
                deadline_text(r),
                f"{r.days_late} ngày ({r.working_days_late} ngày làm việc)",
                ladder_text(r.escalation_level),
                f"{action_text(r.last_action)} {r.last_action_on:%d/%m/%Y}"
                if r.last_action_on
                else "",
            )
        table.caption = _footer(report)
        if output is None:
            out.print(table if rows else "Không có phần việc nào quá hạn.")
            return
        text = _rendered(table)
    _write(text, fmt, output)


def status_table(rows: list[UnitStatus], *, title: str, heading: str = "Đơn vị") -> Table:
    """A four-way table (by unit, meeting, lead unit or field), with its totals row and the
    on-time rate."""
    table = Table(title=title, show_footer=bool(rows))
    totals = totals_of(rows)
    table.add_column(heading, footer=TOTAL)
    for kind in FourWay:
        table.add_column(label(kind), justify="right", footer=str(totals.counts[kind]))
    table.add_column("Tổng", justify="right", footer=str(totals.total))
    table.add_column(RATE, justify="right", footer=rate_text(totals.on_time_rate))
    for r in rows:
        table.add_row(
            r.unit_name,
            *(str(r.counts[k]) for k in FourWay),
            str(r.total),
            rate_text(r.on_time_rate),
        )
    return table


@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        str | None,
        typer.Option(
            help="Mã băm một báo cáo hay thư tổng hợp đã ghi: kiểm tra chuỗi vẫn chứa nó "
            "(không bị viết lại từ đó)."
        ),
    ] = None,
) -> None:
    """Kiểm tra chuỗi nhật ký không bị sửa, xóa, chèn hay đảo thứ tự."""
    with context(wake=False) as ctx:
        result = verify_audit(ctx, against)
    if result.ok:
        anchored = (
            f" Mã băm {against} là của sự kiện #{result.anchored_seq}."
            if result.anchored_seq
            else ""
        )
        out.print(f"Nhật ký nguyên vẹn: {result.checked} sự kiện.{anchored}", highlight=False)
        return
    raise Failed(f"Nhật ký bị can thiệp: {result.reason} (đã kiểm {result.checked} sự kiện).")


@audit_app.command("query")
def audit_query(
    unit: Annotated[
        str | None, typer.Option(help="Đơn vị (mã hoặc tên, có dấu hay không).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Người thực hiện (một phần tên).")] = None,
    directive: Annotated[str | None, typer.Option(help="Mã nhiệm vụ.")] = None,
    meeting: Annotated[str | None, typer.Option(help="Mã cuộc họp.")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="Loại sự kiện (vd. acknowledged hoặc 'đơn vị tiếp nhận'); lặp lại được."),
    ] = None,
    month: Month = None,
    quarter: Quarter = None,
    start: FromDay = None,
    end: ToDay = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Nhiều nhất bao nhiêu sự kiện.")] = None,
    times: Annotated[
        bool,
        typer.Option(
            "--response-times",
            help="Thời gian phản hồi theo đơn vị (giao → tiếp nhận, → báo cáo hoàn thành), "
            "trung vị và phân vị 90, tính bằng ngày làm việc.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Tra cứu nhật ký theo đơn vị, người thực hiện, nhiệm vụ, cuộc họp, loại sự kiện và kỳ;
    mỗi dòng ghi số sự kiện để đối chiếu với chuỗi nhật ký."""
    if fmt is Format.xlsx:
        raise Failed("Tra cứu nhật ký xuất ra table, csv hoặc json.")
    with context(wake=False) as ctx:
        named = month or quarter or start or end
        period = _period(ctx, start=start, end=end, month=month, quarter=quarter) if named else None
        if times:
            _response_times(response_times(ctx, period=period, unit=unit), fmt, output, period)
            return
        wanted = AuditFilter(
            unit=unit,
            actor=actor,
            directive=directive,
            meeting=meeting,
            kinds=tuple(audit_kind(k).value for k in kind or ()),
            period=period,
        )
        rows = list(query_events(ctx, wanted, limit=limit))
        names = dict(unit_names(ctx))
    _events(rows, names, fmt, output)


#: The audit query's columns.
EVENT_COLUMNS = ("Số sự kiện", "Thời điểm", "Nhiệm vụ", "Đơn vị", "Sự kiện", "Người thực hiện")


def _events(rows: list[AuditRow], names: dict[str, str], fmt: Format, output: Path | None) -> None:
    def when(row: AuditRow) -> str:
        return row.occurred_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")

    def unit(row: AuditRow) -> str:
        return names.get(row.unit_code, row.unit_code) if row.unit_code else ""

    if fmt is Format.json:
        text = json.dumps(
            [
                {
                    "seq": r.seq,
                    "hash": r.hash,
                    "occurred_at": r.occurred_at.isoformat(),
                    "actor": r.actor,
                    "action": r.action,
                    "action_label": action_text(r.action),
                    "directive": r.directive_code,
                    "unit": r.unit_code,
                    "details": r.details,
                }
                for r in rows
            ],
            ensure_ascii=False,
            indent=2,
        )
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*EVENT_COLUMNS, "Chi tiết", "Mã băm"])
        for r in rows:
            writer.writerow(
                [
                    r.seq,
                    when(r),
                    r.directive_code or "",
                    unit(r),
                    action_text(r.action),
                    r.actor,
                    describe(r.action, r.details, names, with_label=False),
                    r.hash,
                ]
            )
        text = buffer.getvalue()
    else:
        table = Table(title=f"Nhật ký: {len(rows)} sự kiện")
        for column in EVENT_COLUMNS:
            table.add_column(column, justify="right" if column == "Số sự kiện" else "left")
        table.add_column("Chi tiết")
        for r in rows:
            table.add_row(
                f"#{r.seq}",
                when(r),
                r.directive_code or "",
                unit(r),
                action_text(r.action),
                r.actor,
                describe(r.action, r.details, names, with_label=False),
            )
        if output is None:
            out.print(table if rows else "Không có sự kiện nào khớp.", highlight=False)
            return
        text = _rendered(table)
    _write(text, fmt, output)


#: The response-time table's columns.
TIME_COLUMNS = (
    "Đơn vị",
    "Số phần việc được giao",
    "Đã tiếp nhận",
    "Tiếp nhận: trung vị",
    "Tiếp nhận: phân vị 90",
    "Đã báo cáo hoàn thành",
    "Hoàn thành: trung vị",
    "Hoàn thành: phân vị 90",
)


def _response_times(
    rows: list[ResponseTimes], fmt: Format, output: Path | None, period: Period | None
) -> None:
    def cells(r: ResponseTimes) -> list[str]:
        return [
            r.unit_name,
            str(r.given),
            str(len(r.to_acknowledge)),
            days_text(median(r.to_acknowledge)),
            days_text(percentile_90(r.to_acknowledge)),
            str(len(r.to_report_done)),
            days_text(median(r.to_report_done)),
            days_text(percentile_90(r.to_report_done)),
        ]

    if fmt is Format.json:
        text = json.dumps(
            [
                {
                    "unit": r.unit_code,
                    "name": r.unit_name,
                    "given": r.given,
                    "acknowledge": {
                        "count": len(r.to_acknowledge),
                        "median_working_days": median(r.to_acknowledge),
                        "p90_working_days": percentile_90(r.to_acknowledge),
                    },
                    "report_done": {
                        "count": len(r.to_report_done),
                        "median_working_days": median(r.to_report_done),
                        "p90_working_days": percentile_90(r.to_report_done),
                    },
                    "events": [
                        {"assigned": a, "acknowledged": k, "reported_done": d}
                        for a, k, d in r.events
                    ],
                }
                for r in rows
            ],
            ensure_ascii=False,
            indent=2,
        )
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(TIME_COLUMNS)
        writer.writerows(cells(r) for r in rows)
        text = buffer.getvalue()
    else:
        span = f" — phần việc giao {period.title}" if period else ""
        table = Table(title=f"Thời gian phản hồi (ngày làm việc){span}")
        for column in TIME_COLUMNS:
            table.add_column(column, justify="left" if column == "Đơn vị" else "right")
        for r in rows:
            table.add_row(*cells(r))
        if output is None:
            out.print(table if rows else "Không có phần việc nào được giao trong kỳ.")
            return
        text = _rendered(table)
    _write(text, fmt, output)


@audit_app.command("timeline")
def audit_timeline(directive: DirectiveCode) -> None:
    """Lịch sử một nhiệm vụ."""
    with context(wake=False) as ctx:
        found, entries = timeline(ctx, directive)
    # One line per event, not a table: timelines get long, and people grep and paste them.
    out.print(f"{found.code}: {found.title}", highlight=False)
    for e in entries:
        when = e.occurred_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
        out.print(
            f"#{e.seq:<5} {when}  {e.unit or '-':<16} {describe(e.action, e.details)} — {e.actor}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


evidence_app = typer.Typer(help="Tệp minh chứng đơn vị gửi kèm báo cáo.", no_args_is_help=True)


@evidence_app.command("list")
def evidence_list(directive: DirectiveCode, unit: UnitCode) -> None:
    """Các tệp minh chứng một đơn vị đã gửi cho một nhiệm vụ."""
    ref = AssignmentRef(directive, unit)
    with context(wake=False) as ctx:
        items = evidence_of(ctx, ref, settings().evidence_dir)
    if not items:
        out.print(f"{directive}: đơn vị chưa gửi tệp minh chứng nào.", highlight=False)
        return
    table = Table(title=f"Minh chứng {directive} — {unit}")
    for column in ("Số", "Tệp", "Loại", "Cỡ", "Gửi lúc", "Người gửi", "Nhật ký"):
        table.add_column(column)
    for item in items:
        table.add_row(
            str(item.number),
            item.name,
            item.content_type,
            f"{item.size / 1024:.0f} KB",
            item.reported_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"),
            item.actor,
            f"sự kiện #{item.audit_seq}" if item.audit_seq else "không có",
        )
    out.print(table)


@evidence_app.command("get")
def evidence_get(
    directive: DirectiveCode,
    unit: UnitCode,
    number: Annotated[
        int | None,
        typer.Option(min=1, help="Số thứ tự tệp (theo 'evidence list'); mặc định: mọi tệp."),
    ] = None,
    output: Annotated[Path, typer.Option(help="Thư mục để ghi tệp ra.")] = Path(),
) -> None:
    """Lấy tệp minh chứng ra thư mục, sau khi kiểm SHA-256 của tệp khớp với nhật ký."""
    ref = AssignmentRef(directive, unit)
    with context(wake=False) as ctx:
        items = evidence_of(ctx, ref, settings().evidence_dir)
    chosen = [i for i in items if number is None or i.number == number]
    if not chosen:
        raise Failed(
            f"{directive}/{unit} không có tệp minh chứng số {number}."
            if number
            else f"{directive}/{unit} chưa có tệp minh chứng nào."
        )
    where = f"{directive}/{unit}"
    contents = [(item, checked_content(item, where)) for item in chosen]  # all checked first
    output.mkdir(parents=True, exist_ok=True)
    for item, data in contents:
        target = output / f"{item.number:02d}-{item.name}"
        target.write_bytes(data)
        out.print(
            f"Đã ghi {target} (SHA-256 khớp nhật ký, sự kiện #{item.audit_seq}).",
            highlight=False,
        )
