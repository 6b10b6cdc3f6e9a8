"""A period report as the files people pass around: CSV for Excel (with a BOM, so the marks
show), JSON for other programs, and an XLSX workbook with one sheet per view, Vietnamese
headers, real dates and a bar chart of the four-way by unit."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import xlsxwriter

from followup.domain.clock import LOCAL_TZ
from followup.domain.status import FourWay
from followup.domain.vocabulary import AuditAction, label
from followup.services.reporting import reports
from followup.services.reporting.period_model import (
    DIMENSION_TITLES,
    Dimension,
    PeriodOverdue,
    PeriodReport,
)

#: Sheet names (at most 31 characters, as Excel allows).
SHEETS = {
    Dimension.UNIT: "Theo đơn vị",
    Dimension.MEETING: "Theo cuộc họp",
    Dimension.LEAD: "Theo đơn vị chủ trì",
    Dimension.FIELD: "Theo lĩnh vực",
}
OVERDUE_SHEET = "Quá hạn"
ABOUT_SHEET = "Thông tin"

OVERDUE_COLUMNS = (
    "Nhiệm vụ",
    "Tên nhiệm vụ",
    "Đơn vị",
    "Hạn ban đầu",
    "Hạn sau gia hạn",
    "Số ngày quá hạn",
    "Số ngày làm việc quá hạn",
    "Cấp đôn đốc đã tới",
    "Thao tác cuối",
    "Ngày thao tác cuối",
)


def four_way_columns(dimension: Dimension) -> list[str]:
    heading = DIMENSION_TITLES[dimension][0]
    return [
        f"Mã {heading.lower()}",
        heading,
        *(label(k) for k in FourWay),
        reports.TOTAL,
        reports.RATE,
    ]


def action_text(action: str) -> str:
    """An audit action's label ("đơn vị tiếp nhận"), never its stored value."""
    try:
        return label(AuditAction(action))
    except ValueError:
        return action


def four_way_csv(report: PeriodReport, dimension: Dimension) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(four_way_columns(dimension))
    rows = report.views[dimension]
    for row in [*rows, reports.totals_of(rows)]:
        writer.writerow(
            [
                row.unit_code,
                row.unit_name,
                *(row.counts[k] for k in FourWay),
                row.total,
                reports.rate_text(row.on_time_rate),
            ]
        )
    return buffer.getvalue()


def overdue_csv(rows: list[PeriodOverdue]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OVERDUE_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.directive_code,
                r.title,
                r.unit_name,
                f"{r.original_due_on:%d/%m/%Y}",
                f"{r.extended_due_on:%d/%m/%Y}" if r.extended_due_on else "",
                r.days_late,
                r.working_days_late,
                reports.ladder_text(r.escalation_level),
                action_text(r.last_action),
                f"{r.last_action_on:%d/%m/%Y}" if r.last_action_on else "",
            ]
        )
    return buffer.getvalue()


def _row_json(row: reports.UnitStatus) -> dict[str, Any]:
    return (
        {"code": row.unit_code, "name": row.unit_name, "total": row.total}
        | {k.value: v for k, v in row.counts.items()}
        | {"on_time_rate": row.on_time_rate}
    )


def overdue_json(r: PeriodOverdue) -> dict[str, Any]:
    return {
        "directive": r.directive_code,
        "title": r.title,
        "unit": r.unit_code,
        "unit_name": r.unit_name,
        "original_due_on": r.original_due_on.isoformat(),
        "extended_due_on": r.extended_due_on.isoformat() if r.extended_due_on else None,
        "days_late": r.days_late,
        "working_days_late": r.working_days_late,
        "escalation_level": r.escalation_level,
        "last_action": r.last_action,
        "last_action_label": action_text(r.last_action),
        "last_action_on": r.last_action_on.isoformat() if r.last_action_on else None,
    }


def report_json(
    report: PeriodReport, dimensions: list[Dimension], *, undelivered: int | None = None
) -> str:
    """The report for programs: codes as stored, labels beside them."""
    extra = {} if undelivered is None else {"undelivered_notices": undelivered}
    return json.dumps(
        extra
        | {
            "period": {
                "title": report.period.title,
                "from": report.period.start.isoformat() if report.period.start else None,
                "to": report.period.end.isoformat(),
            },
            "as_of": report.as_of.isoformat(),
            "audit": {"seq": report.chain.seq, "hash": report.chain.hash},
            "views": {
                d.value: {
                    "rows": [_row_json(r) for r in report.views[d]],
                    "totals": _row_json(reports.totals_of(report.views[d])),
                }
                for d in dimensions
            },
            "overdue": [overdue_json(r) for r in report.overdue],
        },
        ensure_ascii=False,
        indent=2,
    )


def report_workbook(report: PeriodReport, *, generated_at: datetime) -> bytes:
    """The XLSX workbook: an about sheet, one sheet per view (the unit sheet with its chart)
    and the overdue list."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    header = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"}
    )
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    percent = book.add_format({"num_format": "0.0%"})
    bold_percent = book.add_format({"num_format": "0.0%", "bold": True})

    about = book.add_worksheet(ABOUT_SHEET)
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 70)
    about.write(0, 0, "Báo cáo tình hình thực hiện nhiệm vụ", bold)
    facts: list[tuple[str, Any]] = [
        ("Kỳ báo cáo", report.period.title),
        ("Số liệu đến ngày", report.as_of),
        ("Nhật ký đến sự kiện số", report.chain.seq),
        ("Mã băm nhật ký tại đó", report.chain.hash),
        ("Kiểm tra", f"followup audit verify --against {report.chain.hash}"),
        ("Lập lúc", generated_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")),
    ]
    for i, (name, value) in enumerate(facts, start=2):
        about.write(i, 0, name, bold)
        if isinstance(value, date):
            about.write_datetime(i, 1, datetime.combine(value, datetime.min.time()), day)
        else:
            about.write(i, 1, value)

    for dimension, sheet_name in SHEETS.items():
        sheet = book.add_worksheet(sheet_name)
        columns = four_way_columns(dimension)
        sheet.set_row(0, 32)
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 40)
        sheet.set_column(2, len(columns) - 1, 14)
        sheet.freeze_panes(1, 2)
        for c, title in enumerate(columns):
            sheet.write(0, c, title, header)
        rows = report.views[dimension]
        for r, row in enumerate([*rows, reports.totals_of(rows)], start=1):
            is_total = r == len(rows) + 1
            sheet.write(r, 0, row.unit_code)
            sheet.write(r, 1, row.unit_name, bold if is_total else None)
            for c, kind in enumerate(FourWay, start=2):
                sheet.write_number(r, c, row.counts[kind], bold if is_total else None)
            sheet.write_number(r, 6, row.total, bold if is_total else None)
            if row.on_time_rate is None:
                sheet.write_blank(r, 7, None)
            else:
                sheet.write_number(r, 7, row.on_time_rate, bold_percent if is_total else percent)
        if dimension is Dimension.UNIT and rows:
            chart = book.add_chart({"type": "bar", "subtype": "stacked"})
            for c, kind in enumerate(FourWay, start=2):
                chart.add_series(
                    {
                        "name": [sheet_name, 0, c],
                        "categories": [sheet_name, 1, 1, len(rows), 1],
                        "values": [sheet_name, 1, c, len(rows), c],
                        "fill": {"color": CHART_COLOURS[kind]},
                    }
                )
            chart.set_title({"name": f"Tình trạng nhiệm vụ theo đơn vị, {report.period.title}"})
            chart.set_y_axis({"reverse": True})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 760, "height": max(320, 28 * len(rows) + 140)})
            sheet.insert_chart(len(rows) + 3, 1, chart)

    sheet = book.add_worksheet(OVERDUE_SHEET)
    sheet.set_row(0, 32)
    for c, width in enumerate((14, 40, 30, 12, 12, 10, 12, 12, 24, 12)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 1)
    for c, title in enumerate(OVERDUE_COLUMNS):
        sheet.write(0, c, title, header)
    for r, o in enumerate(report.overdue, start=1):
        sheet.write(r, 0, o.directive_code)
        sheet.write(r, 1, o.title)
        sheet.write(r, 2, o.unit_name)
        sheet.write_datetime(r, 3, datetime.combine(o.original_due_on, datetime.min.time()), day)
        if o.extended_due_on:
            sheet.write_datetime(
                r, 4, datetime.combine(o.extended_due_on, datetime.min.time()), day
            )
        sheet.write_number(r, 5, o.days_late)
        sheet.write_number(r, 6, o.working_days_late)
        sheet.write(r, 7, reports.ladder_text(o.escalation_level))
        sheet.write(r, 8, action_text(o.last_action))
        if o.last_action_on:
            sheet.write_datetime(r, 9, datetime.combine(o.last_action_on, datetime.min.time()), day)
    if report.overdue:
        sheet.autofilter(0, 0, len(report.overdue), len(OVERDUE_COLUMNS) - 1)
    book.close()
    return buffer.getvalue()


#: The four kinds' colours, the same in every chart (green, amber, blue, red).
CHART_COLOURS = {
    FourWay.DONE_ON_TIME: "#2E7D32",
    FourWay.DONE_LATE: "#F9A825",
    FourWay.OPEN_ON_TIME: "#1565C0",
    FourWay.OVERDUE: "#C62828",
}
