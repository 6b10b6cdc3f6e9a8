"""Reports: the four-way status by unit, the audit trail checked and read."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from followup.cli.common import DirectiveCode, Failed, context, out, parse_date
from followup.domain.clock import LOCAL_TZ
from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.services.context import ServiceContext
from followup.services.overview import city_overview
from followup.services.reports import (
    UnitStatus,
    rate_text,
    status_by_unit,
    timeline,
    totals_of,
    verify_audit,
)
from followup.services.story import describe
from followup.services.undelivered import undelivered_count

app = typer.Typer()
audit_app = typer.Typer(help="Nhật ký thay đổi.", no_args_is_help=True)
report_app = typer.Typer(help="Báo cáo.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


#: The options every report takes.
AsOf = Annotated[str | None, typer.Option("--as-of", help="Tính đến ngày (dd/mm/yyyy).")]
FormatOption = Annotated[Format, typer.Option("--format", help="table, csv hoặc json.")]
Output = Annotated[
    Path | None, typer.Option(help="Ghi ra tệp (CSV có BOM để Excel hiển thị đúng dấu).")
]


@app.command("status")
def status_cmd(as_of: AsOf = None, fmt: FormatOption = Format.table, output: Output = None) -> None:
    """Thống kê bốn loại tình trạng nhiệm vụ theo đơn vị."""

    def compute(ctx: ServiceContext) -> tuple[date, list[Any]]:
        day = parse_date(as_of) or ctx.today()
        return day, status_by_unit(ctx, day)

    with context(wake=False) as ctx:
        day, rows = compute(ctx)
        undelivered = undelivered_count(ctx)
    totals = totals_of(rows)
    if fmt is Format.json:
        text = json.dumps(
            {
                "as_of": day.isoformat(),
                "undelivered_notices": undelivered,
                "units": [
                    {"unit": r.unit_code, "name": r.unit_name, "total": r.total}
                    | {k.value: v for k, v in r.counts.items()}
                    | {"on_time_rate": r.on_time_rate}
                    for r in rows
                ],
                "totals": {k.value: v for k, v in totals.counts.items()}
                | {"total": totals.total, "on_time_rate": totals.on_time_rate},
            },
            ensure_ascii=False,
            indent=2,
        )
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Mã đơn vị", "Đơn vị", *(label(k) for k in FourWay), "Tổng", RATE])
        for r in [*rows, totals_of(rows)]:
            writer.writerow(
                [
                    r.unit_code,
                    r.unit_name,
                    *(r.counts[k] for k in FourWay),
                    r.total,
                    rate_text(r.on_time_rate),
                ]
            )
        text = buffer.getvalue()
    else:
        table = status_table(rows, title=f"Tình trạng nhiệm vụ đến ngày {day:%d/%m/%Y}")
        if output is None:
            out.print(table)
            if undelivered:
                out.print(
                    f"Thông báo không gửi được (đã ngừng thử): {undelivered} — gửi lại bằng "
                    "'followup notices requeue'.",
                    highlight=False,
                )
            return
        buffer = io.StringIO()
        Console(file=buffer, width=160).print(table)
        text = buffer.getvalue()
    _write(text, fmt, output)


def _write(text: str, fmt: Format, output: Path | None) -> None:
    """A report to standard output, or to a file (CSV with a BOM, so Excel shows the marks)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8-sig" if fmt is Format.csv else "utf-8")
        out.print(f"Đã ghi {output}")


#: The overdue list's columns, as people read them.
OVERDUE_COLUMNS = (
    "Nhiệm vụ",
    "Tên",
    "Đơn vị",
    "Hạn",
    "Số ngày quá hạn",
    "Số ngày làm việc quá hạn",
    "Đôn đốc",
)


@report_app.command("overdue")
def report_overdue(
    as_of: AsOf = None, fmt: FormatOption = Format.table, output: Output = None
) -> None:
    """Danh sách phần việc quá hạn: nhiệm vụ, đơn vị, hạn, số ngày quá hạn, cấp đôn đốc (cùng
    bảng tổng hợp mà Prefect UI hiển thị sau mỗi lần đôn đốc)."""
    with context(wake=False) as ctx:
        view = city_overview(ctx, parse_date(as_of) or None)
    rows = [
        (
            r.directive_code,
            r.title,
            r.unit_name,
            r.due_on,
            r.days_late,
            r.working_days_late,
            f"cấp {r.escalation_level}" if r.escalation_level else "chưa",
        )
        for r in view.overdue
    ]
    if fmt is Format.json:
        text = json.dumps(
            {
                "as_of": view.as_of.isoformat(),
                "overdue": [
                    {
                        "directive": r.directive_code,
                        "title": r.title,
                        "unit": r.unit_name,
                        "due_on": r.due_on.isoformat(),
                        "days_late": r.days_late,
                        "working_days_late": r.working_days_late,
                        "escalation_level": r.escalation_level,
                    }
                    for r in view.overdue
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(OVERDUE_COLUMNS)
        writer.writerows((*row[:3], row[3].isoformat(), *row[4:]) for row in rows)
        text = buffer.getvalue()
    else:
        table = Table(title=f"Quá hạn đến ngày {view.as_of:%d/%m/%Y}: {len(rows)} phần việc")
        for column in OVERDUE_COLUMNS:
            table.add_column(column, justify="right" if column.startswith("Số") else "left")
        for row in rows:
            table.add_row(*row[:3], f"{row[3]:%d/%m/%Y}", f"{row[4]} ngày", str(row[5]), row[6])
        if output is None:
            out.print(table if rows else "Không có phần việc nào quá hạn.")
            return
        buffer = io.StringIO()
        Console(file=buffer, width=160).print(table)
        text = buffer.getvalue()
    _write(text, fmt, output)


#: The on-time rate's column: done on time out of all assignments counted.
RATE = "Tỷ lệ hoàn thành đúng hạn"


def status_table(rows: list[UnitStatus], *, title: str) -> Table:
    """The four-way table by unit, with its totals row and the on-time rate."""
    table = Table(title=title, show_footer=bool(rows))
    totals = totals_of(rows)
    table.add_column("Đơn vị", footer="Tổng")
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
def audit_verify() -> None:
    """Kiểm tra chuỗi nhật ký không bị sửa, xóa, chèn hay đảo thứ tự."""
    with context(wake=False) as ctx:
        result = verify_audit(ctx)
    if result.ok:
        out.print(f"Nhật ký nguyên vẹn: {result.checked} sự kiện.")
        return
    raise Failed(f"Nhật ký bị can thiệp: {result.reason} (đã kiểm {result.checked} sự kiện).")


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
