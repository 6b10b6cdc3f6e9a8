"""Reports: the four-way statistic of a period by unit, meeting, lead unit or field, and the
overdue list (the audit trail and evidence commands are in `cli/audit.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from followup.cli.common import (
    Failed,
    context,
    err,
    out,
    parse_date,
)
from followup.cli.output import Format, emit
from followup.domain.periods import Period, choose_period
from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.orchestration.overview import chain_text, deadline_text
from followup.services.context import ServiceContext
from followup.services.reporting import reports
from followup.services.reporting.period_model import DIMENSION_TITLES, Dimension, PeriodReport
from followup.services.reporting.period_report import events_up_to, period_report
from followup.services.reporting.report_files import (
    action_text,
    four_way_csv,
    overdue_csv,
    report_json,
    report_workbook,
)
from followup.services.write.undelivered import undelivered_count

app = typer.Typer()
report_app = typer.Typer(help="Báo cáo.", no_args_is_help=True)


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

FromTrail = Annotated[
    bool,
    typer.Option(
        "--from-trail",
        help="Tính lại bằng cách đọc lại toàn bộ nhật ký thay vì bảng tổng hợp của nó (chậm "
        "hơn, kết quả phải như nhau: dùng để đối chiếu).",
    ),
]


def period_of(
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


def _report(ctx: ServiceContext, period: Period, *, from_trail: bool) -> PeriodReport:
    """The period report from the trail's projection; replayed from the trail itself on
    request, with a progress bar on a terminal when the trail is long."""
    if not from_trail:
        return period_report(ctx, period)
    total = events_up_to(ctx, period)
    if total <= PROGRESS_ABOVE or not err.is_terminal:
        return period_report(ctx, period, from_trail=True)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Đọc nhật ký", total=total)
        return period_report(
            ctx, period, from_trail=True, progress=lambda read: bar.update(task, completed=read)
        )


def _load(
    month: str | None,
    quarter: str | None,
    start: str | None,
    end: str | None,
    as_of: str | None,
    from_trail: bool,
    fmt: Format,
    output: Path | None,
) -> tuple[PeriodReport, int]:
    """The period's report and how many notices could not be delivered; a workbook asked for
    is written here, since it is the same whatever the report's view."""
    with context(wake=False) as ctx:
        period = period_of(ctx, as_of=as_of, start=start, end=end, month=month, quarter=quarter)
        report = _report(ctx, period, from_trail=from_trail)
        undelivered = undelivered_count(ctx)
        now = ctx.clock.now()
    if fmt is Format.xlsx:
        _write_bytes(report_workbook(report, generated_at=now), output, report)
    return report, undelivered


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
    from_trail: FromTrail = False,
) -> None:
    """Thống kê bốn loại tình trạng (hoàn thành đúng hạn, quá hạn, đang thực hiện trong hạn,
    quá hạn) theo đơn vị, cuộc họp, đơn vị chủ trì hoặc lĩnh vực, cho một kỳ hoặc đến một
    ngày. Số liệu tính từ nhật ký như nó đứng ở cuối kỳ, nên kỳ đã qua không đổi."""
    report, undelivered = _load(month, quarter, start, end, as_of, from_trail, fmt, output)
    if fmt is Format.xlsx:
        return
    heading, counted = DIMENSION_TITLES[by]

    def as_table() -> Table:
        until = "" if report.as_of == report.period.end else f" (đến ngày {report.as_of:%d/%m/%Y})"
        table = status_table(
            report.views[by],
            title=f"Tình trạng {counted} {report.period.title}{until}",
            heading=heading,
        )
        table.caption = _footer(report)
        return table

    emit(
        fmt,
        output,
        as_json=lambda: report_json(report, [by], undelivered=undelivered),
        as_csv=lambda: four_way_csv(report, by),
        as_table=as_table,
        note=f"Thông báo không gửi được (đã ngừng thử): {undelivered} — gửi lại bằng "
        "'followup notices requeue'."
        if undelivered
        else "",
    )


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
    from_trail: FromTrail = False,
) -> None:
    """Danh sách phần việc quá hạn: nhiệm vụ, đơn vị, hạn ban đầu và hạn sau gia hạn, số ngày
    (và ngày làm việc) quá hạn, cấp đôn đốc đã tới, thao tác cuối (cùng bảng mà Prefect UI
    hiển thị sau mỗi lần đôn đốc). Với một kỳ: các phần việc quá hạn ở cuối kỳ."""
    report, _ = _load(month, quarter, start, end, as_of, from_trail, fmt, output)
    if fmt is Format.xlsx:
        return
    rows = report.overdue

    def as_table() -> Table:
        table = Table(title=f"Quá hạn đến ngày {report.as_of:%d/%m/%Y}: {len(rows)} phần việc")
        for column in OVERDUE_TABLE:
            table.add_column(column, no_wrap=column == "Nhiệm vụ")
        for r in rows:
            table.add_row(
                r.directive_code,
                r.unit_name,
                deadline_text(r),
                f"{r.days_late} ngày ({r.working_days_late} ngày làm việc)",
                reports.ladder_text(r.escalation_level),
                f"{action_text(r.last_action)} {r.last_action_on:%d/%m/%Y}"
                if r.last_action_on
                else "",
            )
        table.caption = _footer(report)
        return table

    emit(
        fmt,
        output,
        as_json=lambda: report_json(report, []),
        as_csv=lambda: overdue_csv(report.overdue),
        as_table=as_table,
        empty=None if rows else "Không có phần việc nào quá hạn.",
    )


def status_table(rows: list[reports.UnitStatus], *, title: str, heading: str = "Đơn vị") -> Table:
    """A four-way table (by unit, meeting, lead unit or field), with its totals row and the
    on-time rate."""
    table = Table(title=title, show_footer=bool(rows))
    totals = reports.totals_of(rows)
    table.add_column(heading, footer=reports.TOTAL)
    for kind in FourWay:
        table.add_column(label(kind), justify="right", footer=str(totals.counts[kind]))
    table.add_column("Tổng", justify="right", footer=str(totals.total))
    table.add_column(reports.RATE, justify="right", footer=reports.rate_text(totals.on_time_rate))
    for r in rows:
        table.add_row(
            r.unit_name,
            *(str(r.counts[k]) for k in FourWay),
            str(r.total),
            reports.rate_text(r.on_time_rate),
        )
    return table
