"""`followup demo`: a month of the 9 March 2021 Móng Cái working session, simulated."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from followup.cli.common import err, out
from followup.cli.reports import status_table
from followup.domain.status import FourWay
from followup.domain.text import decimal
from followup.domain.vocabulary import NoticeKind, label
from followup.services.reporting.reports import UnitStatus

app = typer.Typer()


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
    # Stopped by a signal (a closed terminal, a test's timeout), the demo unwinds as on
    # Ctrl-C: its Prefect server and 'followup serve' are stopped with it.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _exit_on)
    # The demo imports Prefect, the web stack and aiosmtpd (the `demo` extra): only here.
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
        out_dir,
        # With --json the summary alone goes to stdout; the progress goes to stderr.
        progress=_progress_to_stderr if as_json else out.print,
        use_prefect=use_prefect,
        keep_running=hold,
    )
    if not keep_running:
        _print_demo(summary, as_json=as_json)
    if not summary.ok:
        raise typer.Exit(1)


def _progress_to_stderr(line: str) -> None:
    err.print(line, highlight=False)


def _exit_on(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_runs(summary: Any) -> None:
    from followup.demo.runs import STATE_LABELS

    runs = ", ".join(f"{STATE_LABELS.get(k, k)} {v}" for k, v in sorted(summary.flow_runs.items()))
    out.print(f"Lượt theo dõi trên Prefect: {runs} — Prefect UI: {summary.prefect_ui}")
    p = summary.passes
    if p:
        per_run = sorted(p["per_run"].values())
        median = decimal(p["median_pass_seconds"], 2)
        out.print(
            f"Số lần chạy của các lượt: {p['total']} (mỗi nhiệm vụ từ {per_run[0]} đến "
            f"{per_run[-1]} lần; mỗi lần trung vị {median} giây). Lượt kể đủ tiếp nhận → "
            f"đôn đốc → kết thúc: {', '.join(p['lifecycle_runs']) or 'không có'}."
        )


def _print_demo(summary: Any, *, as_json: bool) -> None:
    if as_json:
        payload = {k: v for k, v in summary.__dict__.items() if k != "log"} | {"ok": summary.ok}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        rows = []
        for item in summary.status_by_unit:
            row = UnitStatus(item["unit"], item["name"])
            row.counts = {k: item[k.value] for k in FourWay}
            rows.append(row)
        out.print(status_table(rows, title="Tình trạng nhiệm vụ sau 31 ngày (đến 09/04/2021)"))
        out.print(
            "E-mail đã gửi theo loại: "
            + ", ".join(f"{label(NoticeKind(k))}: {v}" for k, v in summary.emails_by_kind.items())
            + f" (tổng {summary.emails_sent})"
        )
        digests = summary.digests
        out.print(
            f"Thư tổng hợp ngày cuối: {digests.get('coordinator', 0)} thư cho cán bộ điều phối, "
            f"{digests.get('leader', 0)} thư tuần cho lãnh đạo"
        )
        if summary.overview_url:
            out.print(f"Tổng hợp toàn thành phố (Prefect UI): {summary.overview_url}")
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
            _print_runs(summary)
        out.print(f"Thời gian chạy: {decimal(summary.wall_seconds)} giây")
