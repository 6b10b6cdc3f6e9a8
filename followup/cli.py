"""The `followup` command: set-up, loading, coordinator actions, sweep, dispatch, audit, status.

Every error a person can cause is printed as one sentence with a non-zero exit, no traceback.
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from followup.config import Settings
from followup.domain.errors import FollowupError
from followup.domain.status import FourWay
from followup.services.context import ServiceContext

app = typer.Typer(
    help="followup: theo dõi, đôn đốc thực hiện nhiệm vụ sau các buổi làm việc.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
units_app = typer.Typer(help="Đơn vị.", no_args_is_help=True)
meeting_app = typer.Typer(help="Cuộc họp và nhiệm vụ.", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký thay đổi.", no_args_is_help=True)
extension_app = typer.Typer(help="Gia hạn nhiệm vụ.", no_args_is_help=True)
app.add_typer(extension_app, name="extension")
app.add_typer(db_app, name="db")
app.add_typer(units_app, name="units")
app.add_typer(meeting_app, name="meeting")
app.add_typer(audit_app, name="audit")

# Piped output (CI logs, files) gets room for the status table instead of 80 columns.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
T = TypeVar("T")


class Failed(Exception):
    """Raised inside a command to stop with one sentence and a non-zero exit."""


def _default_actor() -> str:
    return f"điều phối viên ({getpass.getuser()})"


Actor = Annotated[str, typer.Option("--actor", help="Ai thực hiện (ghi vào nhật ký).")]
DirectiveCode = Annotated[str, typer.Argument(help="Mã nhiệm vụ.")]
UnitCode = Annotated[str, typer.Argument(help="Mã đơn vị.")]


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Failed(f"Ngày '{value}' không hợp lệ; dùng dạng YYYY-MM-DD.") from None


@contextmanager
def _context() -> Iterator[ServiceContext]:
    ctx = ServiceContext.from_settings(Settings())
    try:
        yield ctx
    finally:
        ctx.close()


def _run(action: Callable[[ServiceContext], T]) -> T:
    with _context() as ctx:
        return action(ctx)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu."""
    from followup.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    out.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@units_app.command("load")
def units_load(
    file: Annotated[Path, typer.Argument(help="Tệp TOML danh sách đơn vị.")],
    actor: Actor = "",
) -> None:
    """Nạp (tạo mới hoặc cập nhật) đơn vị và người liên hệ từ tệp TOML."""
    from followup.services.units import load_units_file

    result = _run(lambda ctx: load_units_file(ctx, file, actor=actor or _default_actor()))
    out.print(f"Đã nạp đơn vị: {result.created} mới, {result.updated} cập nhật.")


@meeting_app.command("load")
def meeting_load(
    file: Annotated[Path, typer.Argument(help="Tệp TOML: cuộc họp và các nhiệm vụ.")],
    actor: Actor = "",
) -> None:
    """Mở một cuộc họp: tạo nhiệm vụ, giao cho các đơn vị và gửi thông báo giao việc."""
    from followup.orchestration import nudge
    from followup.services.meetings import open_meeting_file

    with _context() as ctx:
        opened = open_meeting_file(ctx, file, actor=actor or _default_actor())
        out.print(
            f"Đã tạo {len(opened.directive_codes)} nhiệm vụ, {opened.assignments} phân công: "
            + ", ".join(opened.directive_codes)
        )
        for code in opened.directive_codes:
            _report_nudge(nudge(ctx, code))


@app.command("assign")
def assign_cmd(directive: DirectiveCode, unit: UnitCode, actor: Actor = "") -> None:
    """Giao thêm nhiệm vụ cho một đơn vị phối hợp."""
    from followup.orchestration import nudge
    from followup.services.meetings import assign

    with _context() as ctx:
        assign(ctx, directive, unit, actor=actor or _default_actor())
        out.print(f"Đã giao nhiệm vụ {directive} cho {unit}.")
        _report_nudge(nudge(ctx, directive))


def _act(verb: str, directive: str, unit: str, call: Callable[..., Any], **kwargs: Any) -> None:
    """Write our database first, then tell the directive's Prefect run to look again."""
    from followup.orchestration import nudge
    from followup.services.loading import AssignmentRef

    ref = AssignmentRef(directive, unit)
    with _context() as ctx:
        view = call(ctx, ref, **kwargs)
        out.print(f"{verb}: {ref} → {view.state.label_vi}.")
        _report_nudge(nudge(ctx, directive))


_NUDGE_TEXT = {
    "resumed": "đã báo lượt theo dõi trên Prefect cập nhật",
    "started": "đã bắt đầu lượt theo dõi mới trên Prefect",
    "busy": "lượt theo dõi trên Prefect đang chạy, sẽ tự cập nhật",
    "up-to-date": "lượt theo dõi trên Prefect đã cập nhật",
    "finished": "nhiệm vụ đã kết thúc",
    "unreachable": "chưa liên lạc được Prefect; 'followup repair' sẽ cập nhật sau",
    "not-configured": "",
}


def _report_nudge(result: Any) -> None:
    text = _NUDGE_TEXT.get(result.outcome, result.outcome)
    if text:
        target = err if result.outcome == "unreachable" else out
        target.print(f"  Prefect: {text}.", highlight=False)


@app.command("ack")
def ack_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    note: Annotated[str, typer.Option(help="Ghi chú.")] = "",
    actor: Actor = "",
) -> None:
    """Ghi nhận đơn vị đã tiếp nhận nhiệm vụ (thay mặt đơn vị)."""
    from followup.services.actions import acknowledge

    _act("Đã tiếp nhận", directive, unit, acknowledge, note=note, actor=actor or _default_actor())


@app.command("progress")
def progress_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    percent: Annotated[int, typer.Option(help="Phần trăm hoàn thành (0–100).")],
    note: Annotated[str, typer.Option(help="Nội dung báo cáo.")],
    actor: Actor = "",
) -> None:
    """Ghi nhận báo cáo tiến độ của đơn vị."""
    from followup.services.actions import report_progress

    _act(
        "Đã ghi tiến độ",
        directive,
        unit,
        report_progress,
        percent=percent,
        note=note,
        actor=actor or _default_actor(),
    )


@app.command("done")
def done_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    note: Annotated[str, typer.Option(help="Nội dung báo cáo hoàn thành.")],
    actor: Actor = "",
) -> None:
    """Ghi nhận đơn vị báo cáo đã hoàn thành."""
    from followup.services.actions import report_done

    _act(
        "Đã ghi báo cáo hoàn thành",
        directive,
        unit,
        report_done,
        note=note,
        actor=actor or _default_actor(),
    )


@app.command("close")
def close_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    note: Annotated[str, typer.Option(help="Ghi chú.")] = "",
    actor: Actor = "",
) -> None:
    """Xác nhận hoàn thành và kết thúc phân công."""
    from followup.services.actions import close

    _act("Đã kết thúc", directive, unit, close, note=note, actor=actor or _default_actor())


@app.command("send-back")
def send_back_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    reason: Annotated[str, typer.Option(help="Lý do trả lại.")],
    actor: Actor = "",
) -> None:
    """Trả lại báo cáo hoàn thành chưa đạt yêu cầu."""
    from followup.services.actions import send_back

    _act("Đã trả lại", directive, unit, send_back, reason=reason, actor=actor or _default_actor())


def _required_date(value: str) -> date:
    parsed = _parse_date(value)
    if parsed is None:  # pragma: no cover - typer passes a value
        raise Failed("Cần nhập ngày.")
    return parsed


@extension_app.command("request")
def extension_request_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    until: Annotated[str, typer.Option(help="Hạn mới đề nghị (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Lý do đề nghị gia hạn.")],
    actor: Actor = "",
) -> None:
    """Ghi đề nghị gia hạn của đơn vị (ví dụ nhận qua điện thoại hoặc công văn)."""
    from followup.services.extensions import request_extension

    _act(
        "Đã ghi đề nghị gia hạn",
        directive,
        unit,
        request_extension,
        until=_required_date(until),
        reason=reason,
        actor=actor or _default_actor(),
    )


@extension_app.command("approve")
def extension_approve_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    note: Annotated[str, typer.Option(help="Ý kiến.")] = "",
    actor: Actor = "",
) -> None:
    """Đồng ý đề nghị gia hạn đang chờ: hạn mới có hiệu lực, hạn ban đầu vẫn được lưu."""
    from followup.services.extensions import decide_extension

    _act(
        "Đã đồng ý gia hạn",
        directive,
        unit,
        decide_extension,
        approve=True,
        note=note,
        actor=actor or _default_actor(),
    )


@extension_app.command("refuse")
def extension_refuse_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    reason: Annotated[str, typer.Option(help="Lý do không đồng ý.")],
    actor: Actor = "",
) -> None:
    """Không đồng ý đề nghị gia hạn đang chờ: hạn giữ nguyên."""
    from followup.services.extensions import decide_extension

    _act(
        "Đã từ chối gia hạn",
        directive,
        unit,
        decide_extension,
        approve=False,
        note=reason,
        actor=actor or _default_actor(),
    )


@units_app.command("delegate")
def delegate_cmd(
    unit: UnitCode,
    acting_name: Annotated[str, typer.Option("--to-name", help="Họ tên người làm thay.")],
    acting_email: Annotated[str, typer.Option("--to-email", help="E-mail người làm thay.")],
    starts_on: Annotated[str, typer.Option("--from", help="Từ ngày (YYYY-MM-DD).")],
    ends_on: Annotated[str, typer.Option("--until", help="Đến hết ngày (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Lý do (nghỉ phép, đi công tác...).")] = "",
    actor: Actor = "",
) -> None:
    """Ủy quyền cán bộ phụ trách của đơn vị cho người làm thay trong một khoảng thời gian."""
    from followup.services.delegations import delegate

    view = _run(
        lambda ctx: delegate(
            ctx,
            unit,
            acting_name=acting_name,
            acting_email=acting_email,
            starts_on=_required_date(starts_on),
            ends_on=_required_date(ends_on),
            reason=reason,
            actor=actor or _default_actor(),
        )
    )
    out.print(
        f"Đã ủy quyền: thông báo cho cán bộ phụ trách {view.unit_code} "
        f"({view.officer_name or 'chưa có'}) từ {view.starts_on:%d/%m/%Y} đến "
        f"{view.ends_on:%d/%m/%Y} gửi cho {view.acting_name} <{view.acting_email}>.",
        highlight=False,
    )


@units_app.command("end-delegation")
def end_delegation_cmd(
    unit: UnitCode,
    reason: Annotated[str, typer.Option(help="Lý do (cán bộ đã trở lại, nhập nhầm...).")] = "",
    actor: Actor = "",
) -> None:
    """Kết thúc ủy quyền của đơn vị: thông báo lại gửi cho cán bộ phụ trách."""
    from followup.services.delegations import end_delegation

    ended = _run(
        lambda ctx: end_delegation(ctx, unit, reason=reason, actor=actor or _default_actor())
    )
    out.print(f"Đã kết thúc {ended} ủy quyền của {unit}.")


@app.command("cancel")
def cancel_cmd(
    directive: DirectiveCode,
    unit: UnitCode,
    reason: Annotated[str, typer.Option(help="Lý do hủy.")],
    actor: Actor = "",
) -> None:
    """Hủy phân công."""
    from followup.services.actions import cancel

    _act("Đã hủy", directive, unit, cancel, reason=reason, actor=actor or _default_actor())


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("status")
def status_cmd(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Tính đến ngày (YYYY-MM-DD).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv hoặc json.")] = Format.table,
    output: Annotated[
        Path | None, typer.Option(help="Ghi ra tệp (CSV có BOM để Excel hiển thị đúng dấu).")
    ] = None,
) -> None:
    """Thống kê bốn loại tình trạng nhiệm vụ theo đơn vị."""
    from followup.services.reports import status_by_unit

    def compute(ctx: ServiceContext) -> tuple[date, list[Any]]:
        day = _parse_date(as_of) or ctx.today()
        return day, status_by_unit(ctx, day)

    day, rows = _run(compute)
    if fmt is Format.json:
        text = json.dumps(
            {
                "as_of": day.isoformat(),
                "units": [
                    {"unit": r.unit_code, "name": r.unit_name, "total": r.total}
                    | {k.value: v for k, v in r.counts.items()}
                    for r in rows
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Mã đơn vị", "Đơn vị", *(k.label_vi for k in FourWay), "Tổng"])
        for r in rows:
            writer.writerow([r.unit_code, r.unit_name, *(r.counts[k] for k in FourWay), r.total])
        text = buffer.getvalue()
    else:
        table = status_table(rows, title=f"Tình trạng nhiệm vụ đến ngày {day:%d/%m/%Y}")
        if output is None:
            out.print(table)
            return
        buffer = io.StringIO()
        Console(file=buffer, width=160).print(table)
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8-sig" if fmt is Format.csv else "utf-8")
        out.print(f"Đã ghi {output}")


def status_table(rows: list[Any], *, title: str) -> Table:
    table = Table(title=title)
    table.add_column("Đơn vị")
    for kind in FourWay:
        table.add_column(kind.label_vi, justify="right")
    table.add_column("Tổng", justify="right")
    for r in rows:
        table.add_row(r.unit_name, *(str(r.counts[k]) for k in FourWay), str(r.total))
    return table


@app.command("sweep")
def sweep_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Ngày xét (YYYY-MM-DD).")] = None,
) -> None:
    """Tìm các bước bị chậm và đôn đốc theo thang (nhắc, báo chủ tịch, báo lãnh đạo)."""
    from followup.services.sweep import sweep

    result = _run(lambda ctx: sweep(ctx, as_of=_parse_date(as_of)))
    out.print(
        f"Ngày {result.as_of:%d/%m/%Y}: đã xét {result.examined} phân công, "
        f"{result.total} việc đôn đốc"
        + (
            ": " + ", ".join(f"{k} {v}" for k, v in sorted(result.actions.items()))
            if result.actions
            else "."
        )
    )


@app.command("dispatch")
def dispatch_cmd() -> None:
    """Gửi các thông báo đang chờ qua SMTP."""
    from followup.notifications.dispatcher import SmtpConfig, dispatch

    config = SmtpConfig.from_settings(Settings())
    with _context() as ctx:
        report = asyncio.run(dispatch(ctx.session_factory, config, clock=ctx.clock))
    out.print(f"Đã gửi {report.sent}, chờ gửi lại {report.retrying}, thất bại {report.failed}.")
    for line in report.errors[:10]:
        err.print(f"  {line}")
    if report.failed or report.retrying:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify() -> None:
    """Kiểm tra chuỗi nhật ký không bị sửa, xóa, chèn hay đảo thứ tự."""
    from followup.services.reports import verify_audit

    result = _run(verify_audit)
    if result.ok:
        out.print(f"Nhật ký nguyên vẹn: {result.checked} sự kiện.")
        return
    raise Failed(f"Nhật ký bị can thiệp: {result.reason} (đã kiểm {result.checked} sự kiện).")


@audit_app.command("timeline")
def audit_timeline(directive: DirectiveCode) -> None:
    """Lịch sử một nhiệm vụ."""
    from followup.domain.clock import LOCAL_TZ
    from followup.services.reports import timeline

    found, entries = _run(lambda ctx: timeline(ctx, directive))
    # One line per event, not a table: timelines get long, and people grep and paste them.
    out.print(f"{found.code}: {found.title}", highlight=False)
    for e in entries:
        extra = {k: v for k, v in e.details.items() if k not in ("directive", "unit")}
        when = e.occurred_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
        out.print(
            f"#{e.seq:<5} {when}  {e.action:<30} {e.unit or '-':<16} {e.actor}  "
            + json.dumps(extra, ensure_ascii=False),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@app.command("demo")
def demo_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="In bản tóm tắt dạng JSON.")] = False,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Thư mục kết quả (bị xóa và tạo lại).")
    ] = Path("demo-output"),
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running", help="Giữ Prefect UI, 'serve' và trang đơn vị chạy để xem thử."
        ),
    ] = False,
    use_prefect: Annotated[
        bool, typer.Option("--prefect/--no-prefect", help="Chạy kèm máy chủ Prefect cục bộ.")
    ] = True,
) -> None:
    """Chạy thử: một tháng theo dõi các nhiệm vụ của buổi làm việc ngày 09/03/2021."""
    from followup.demo.scenario import DemoSummary, run_demo

    def hold(summary: DemoSummary) -> None:
        if not keep_running:
            return
        _print_demo(summary, as_json=as_json)
        out.print(f"Prefect UI: {summary.prefect_ui}")
        out.print(
            f"Trang cho đơn vị: {summary.web_url} (mở liên kết trong các thư .eml) — "
            "nhấn Ctrl-C để dừng."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

    summary = run_demo(
        out_dir, progress=None if as_json else out.print, use_prefect=use_prefect, keep_running=hold
    )
    if not keep_running:
        _print_demo(summary, as_json=as_json)
    if not summary.ok:
        raise typer.Exit(1)


def _print_demo(summary: Any, *, as_json: bool) -> None:
    if as_json:
        payload = {k: v for k, v in summary.__dict__.items() if k != "log"} | {"ok": summary.ok}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        from followup.services.reports import UnitStatus

        rows = []
        for item in summary.status_by_unit:
            row = UnitStatus(item["unit"], item["name"])
            row.counts = {k: item[k.value] for k in FourWay}
            rows.append(row)
        out.print(status_table(rows, title="Tình trạng nhiệm vụ sau 31 ngày (đến 09/04/2021)"))
        out.print(
            "E-mail đã gửi theo loại: "
            + ", ".join(f"{k} {v}" for k, v in summary.emails_by_kind.items())
            + f" (tổng {summary.emails_sent})"
        )
        out.print(f"Thư mục e-mail (.eml): {summary.mail_folder}")
        out.print(
            f"Thao tác của đơn vị qua liên kết trong thư: {summary.acted_through_pages} "
            f"(trang cho đơn vị: {summary.web_url})"
        )
        out.print(f"Cơ sở dữ liệu: {summary.database}")
        out.print(
            "Nhật ký: "
            + ("nguyên vẹn" if summary.audit_ok else f"BỊ CAN THIỆP: {summary.audit_problem}")
            + f" ({summary.audit_events} sự kiện)"
        )
        if summary.prefect_ui:
            runs = ", ".join(f"{k} {v}" for k, v in sorted(summary.flow_runs.items()))
            out.print(f"Lượt theo dõi trên Prefect: {runs} — Prefect UI: {summary.prefect_ui}")
        out.print(f"Thời gian chạy: {summary.wall_seconds} giây")


@app.command("serve")
def serve_cmd() -> None:
    """Phục vụ các deployment (directive, open-meeting, escalation-sweep, dispatch-outbox)."""
    from followup.flows.serve import serve_all
    from followup.orchestration import prefect_configured

    if not prefect_configured():
        raise Failed(
            "Chưa đặt PREFECT_API_URL: hãy chỉ tới máy chủ Prefect (ví dụ http://127.0.0.1:4200/api)."
        )
    settings = Settings()
    settings.signer()  # the notices it sends need signed links: refuse now, not mid-run
    serve_all(settings)


@app.command("web")
def web_cmd(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng.")] = None,
) -> None:
    """Chạy các trang cho đơn vị (mở từ liên kết trong thư, không cần tài khoản)."""
    import uvicorn

    from followup.web.app import asgi

    settings = Settings()
    application = asgi(settings)  # refuses a missing or placeholder FOLLOWUP_LINK_SECRET
    uvicorn.run(
        application,
        host=host or settings.web_host,
        port=port or settings.web_port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
        # The access log would write every link's token (it is in the address) to the logs.
        access_log=False,
    )


@app.command("repair")
def repair_cmd() -> None:
    """Khởi động lại hoặc đánh thức lượt theo dõi của các nhiệm vụ còn mở theo dữ liệu của ta."""
    from followup.orchestration import prefect_configured, repair

    if not prefect_configured():
        raise Failed("Chưa đặt PREFECT_API_URL: không có máy chủ Prefect để sửa.")
    stuck = timedelta(seconds=Settings().run_stuck_after_seconds)
    results = _run(lambda ctx: repair(ctx, stuck_after=stuck))
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        if r.outcome in ("started", "resumed", "unreachable"):
            out.print(f"{r.directive_code}: {_NUDGE_TEXT[r.outcome]}", highlight=False)
    out.print(
        "Tổng: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "không có nhiệm vụ mở")
    )
    if counts.get("unreachable"):
        raise typer.Exit(1)


def main() -> None:
    """Entry point: turn every expected failure into one sentence and exit code 1."""
    try:
        app()
    except (FollowupError, Failed) as exc:
        err.print(f"[bold red]Lỗi:[/] {exc}", highlight=False)
        sys.exit(1)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        name = "FOLLOWUP_" + str(first["loc"][0]).upper() if first["loc"] else "cấu hình"
        message = str(first["msg"]).removeprefix("Value error, ")
        text = message if name in message else f"cấu hình {name} không hợp lệ: {message}"
        err.print(f"[bold red]Lỗi:[/] {text}", highlight=False)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err.print(
            "[bold red]Lỗi:[/] không dùng được cơ sở dữ liệu "
            f"({reason}); kiểm tra FOLLOWUP_DATABASE_URL và chạy 'followup db upgrade'.",
            highlight=False,
        )
        sys.exit(1)
