"""The audit trail checked, queried and read, and the evidence files checked against it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from followup.cli.common import (
    DirectiveCode,
    Failed,
    UnitCode,
    context,
    err,
    out,
    settings,
)
from followup.cli.output import Format, csv_text, emit, table_of
from followup.cli.reports import (
    FormatOption,
    FromDay,
    Month,
    Output,
    Quarter,
    ToDay,
    period_of,
)
from followup.domain.clock import LOCAL_TZ
from followup.domain.periods import Period
from followup.services.read.evidence import MATCHES, checked_content, disk_state, evidence_of
from followup.services.read.story import describe
from followup.services.refs import AssignmentRef
from followup.services.reporting.audit_query import (
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
from followup.services.reporting.report_files import action_text
from followup.services.reporting.reports import (
    check_projection,
    rebuild_projection,
    timeline,
    verify_audit,
)
from followup.services.write.units import unit_names

audit_app = typer.Typer(help="Nhật ký thay đổi.", no_args_is_help=True)


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
    """Kiểm tra chuỗi nhật ký không bị sửa, xóa, chèn hay đảo thứ tự, và bảng tổng hợp mà
    các báo cáo đọc vẫn khớp với nhật ký."""
    with context(wake=False) as ctx:
        result = verify_audit(ctx, against)
        if not result.ok:
            raise Failed(
                f"Nhật ký bị can thiệp: {result.reason} (đã kiểm {result.checked} sự kiện)."
            )
        anchored = (
            f" Mã băm {against} là của sự kiện #{result.anchored_seq}."
            if result.anchored_seq
            else ""
        )
        out.print(f"Nhật ký nguyên vẹn: {result.checked} sự kiện.{anchored}", highlight=False)
        check = check_projection(ctx)
    if not check.ok:
        raise Failed(
            f"Bảng tổng hợp của nhật ký (báo cáo đọc bảng này) lệch với nhật ký từ sự kiện "
            f"#{check.bad_seq}: chạy 'followup audit rebuild' để dựng lại từ nhật ký."
        )
    out.print(f"Bảng tổng hợp khớp với nhật ký: {check.checked} bản ghi.", highlight=False)


@audit_app.command("rebuild")
def audit_rebuild() -> None:
    """Dựng lại từ nhật ký bảng tổng hợp mà các báo cáo đọc (nhật ký không đổi)."""
    with context(wake=False) as ctx:
        written = rebuild_projection(ctx)
    out.print(f"Đã dựng lại bảng tổng hợp từ nhật ký: {written} bản ghi.", highlight=False)


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
        period = (
            period_of(ctx, start=start, end=end, month=month, quarter=quarter) if named else None
        )
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

    def cells(r: AuditRow) -> list[str]:
        details = describe(r.action, r.details, names, with_label=False)
        return [
            f"#{r.seq}",
            when(r),
            r.directive_code or "",
            unit(r),
            action_text(r.action),
            r.actor,
            details,
        ]

    def as_json() -> object:
        return [
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
        ]

    emit(
        fmt,
        output,
        as_json=as_json,
        as_csv=lambda: csv_text(
            [*EVENT_COLUMNS, "Chi tiết", "Mã băm"],
            ([r.seq, *cells(r)[1:], r.hash] for r in rows),
        ),
        as_table=lambda: table_of(
            f"Nhật ký: {len(rows)} sự kiện",
            [*EVENT_COLUMNS, "Chi tiết"],
            (cells(r) for r in rows),
            right=lambda column: column == "Số sự kiện",
        ),
        empty=None if rows else "Không có sự kiện nào khớp.",
    )


#: The response-time table's columns.
TIME_COLUMNS = (
    "Đơn vị",
    "Số phần việc được giao",
    "Đã tiếp nhận",
    "Tiếp nhận: trung vị",
    "Tiếp nhận: phân vị 90",
    "Đã báo cáo hoàn thành (không bị trả lại)",
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

    def as_json() -> object:
        return [
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
                    {"assigned": a, "acknowledged": k, "reported_done": d} for a, k, d in r.events
                ],
            }
            for r in rows
        ]

    span = f" — phần việc giao {period.title}" if period else ""
    emit(
        fmt,
        output,
        as_json=as_json,
        as_csv=lambda: csv_text(TIME_COLUMNS, (cells(r) for r in rows)),
        as_table=lambda: table_of(
            f"Thời gian phản hồi (ngày làm việc){span}",
            TIME_COLUMNS,
            (cells(r) for r in rows),
            right=lambda column: column != "Đơn vị",
        ),
        empty=None if rows else "Không có phần việc nào được giao trong kỳ.",
    )


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
    for column in ("Số", "Tệp", "Loại", "Cỡ", "Gửi lúc", "Người gửi", "Nhật ký", "Tệp lưu trữ"):
        table.add_column(column)
    states = {item.number: disk_state(item) for item in items}
    for item in items:
        table.add_row(
            str(item.number),
            item.name,
            item.content_type,
            f"{item.size / 1024:.0f} KB",
            item.reported_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"),
            item.actor,
            f"sự kiện #{item.audit_seq}" if item.audit_seq else "không có",
            states[item.number],
        )
    out.print(table)
    bad = [f"số {n} ({state})" for n, state in states.items() if state != MATCHES]
    if bad:
        err.print(
            f"Cảnh báo: tệp {', '.join(bad)} không khớp nhật ký; 'evidence get' sẽ không giao "
            "ra các tệp này.",
            highlight=False,
        )


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


@evidence_app.command("import")
def evidence_import(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Thư mục minh chứng cũ; mặc định: FOLLOWUP_EVIDENCE_DIR."),
    ] = None,
) -> None:
    """Chép các tệp minh chứng phiên bản cũ lưu trên đĩa vào cơ sở dữ liệu (chạy lại không
    chép trùng); tệp có SHA-256 không khớp tên thì bỏ ra và nêu tên."""
    from followup.services.write.evidence_files import import_evidence_dir

    source = folder or settings().evidence_dir
    with context(wake=False) as ctx:
        result = import_evidence_dir(ctx, source)
    out.print(
        f"Đã chép {result.imported} tệp minh chứng vào cơ sở dữ liệu; {result.already} tệp đã "
        f"có từ trước.",
        highlight=False,
    )
    for path in result.missing:
        err.print(f"Không có trên đĩa: {path}", highlight=False, soft_wrap=True)
    for path in result.altered:
        err.print(
            f"Nội dung không khớp SHA-256 trong tên, không chép: {path}",
            highlight=False,
            soft_wrap=True,
        )
    if result.altered:
        raise typer.Exit(1)
