"""Operating followup: the database, loading units and meetings, sweeping, sending, serving
the Prefect deployments and the commune pages, repairing runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from followup.cli.common import (
    Actor,
    Failed,
    context,
    default_actor,
    die_with_parent,
    err,
    out,
    parse_date,
    report_wakes,
    settings,
)
from followup.cli.output import json_text
from followup.db.migrate import check_ready, upgrade
from followup.domain.vocabulary import WakeOutcome, label
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.services.escalation.recurring import open_due_occurrences
from followup.services.escalation.sweep import sweep
from followup.services.reporting.digests import queue_digests
from followup.services.write.bus import execute, wake_run
from followup.services.write.commands import RequeueNotices
from followup.services.write.meetings import meeting_from_file
from followup.services.write.units import load_units_file

#: `followup dispatch`: nothing was given up on, but some notices wait for a retry (the mail
#: server refused or was down); a scheduler may simply run it again later (EX_TEMPFAIL).
EXIT_WILL_RETRY = 75
MAX_ERROR_LINES = 10

# Prefect, uvicorn and the web stack take seconds to import: only `serve`, `web` and
# `repair` import them, inside the command.

app = typer.Typer()
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
units_app = typer.Typer(help="Đơn vị.", no_args_is_help=True)
meeting_app = typer.Typer(help="Cuộc họp và nhiệm vụ.", no_args_is_help=True)
notices_app = typer.Typer(help="Thông báo (e-mail).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu."""
    url = settings().database_url
    upgrade(url)
    out.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {_safe_url(url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@units_app.command("load")
def units_load(
    file: Annotated[Path, typer.Argument(help="Tệp TOML danh sách đơn vị.")],
    actor: Actor = "",
) -> None:
    """Nạp (tạo mới hoặc cập nhật) đơn vị và người liên hệ từ tệp TOML."""
    with context(wake=False) as ctx:
        result = load_units_file(ctx, file, actor=actor or default_actor())
        out.print(
            f"Đã nạp đơn vị: {result.created} mới, {result.updated} cập nhật, "
            f"{result.unchanged} không đổi."
        )
        from followup.orchestration.meeting_form import refresh_unit_choices
        from followup.orchestration.runs import prefect_configured

        if prefect_configured():  # the Prefect UI's form offers the units loaded
            out.print(refresh_unit_choices(ctx))


@meeting_app.command("load")
def meeting_load(
    file: Annotated[
        Path,
        typer.Argument(help="Tệp cuộc họp và các nhiệm vụ: .toml, .yaml, .csv hoặc .xlsx."),
    ],
    actor: Actor = "",
) -> None:
    """Mở một cuộc họp: tạo nhiệm vụ, giao cho các đơn vị và gửi thông báo giao việc."""
    command = meeting_from_file(file, actor=actor or default_actor())
    with context() as ctx:
        done = execute(ctx, command)
    opened = done.result
    out.print(
        f"Đã tạo {len(opened.directive_codes)} nhiệm vụ, {opened.assignments} phân công: "
        + ", ".join(opened.directive_codes)
    )
    report_wakes(done.wakes)


@app.command("sweep")
def sweep_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Ngày xét (dd/mm/yyyy).")] = None,
) -> None:
    """Tìm các bước bị chậm và đôn đốc theo thang (nhắc, báo chủ tịch, báo lãnh đạo); mở kỳ
    mới của các nhiệm vụ định kỳ khi kỳ bắt đầu."""
    day = parse_date(as_of)
    with context() as ctx:
        result = sweep(ctx, as_of=day)
        occurrences = open_due_occurrences(ctx, result.as_of, actor=default_actor())
        wakes = [wake_run(ctx, code) for code in occurrences.directive_codes]
    out.print(
        f"Ngày {result.as_of:%d/%m/%Y}: đã xét {result.examined} phân công, "
        f"{result.total} việc đôn đốc"
        + (
            ": " + ", ".join(f"{k}: {v}" for k, v in result.by_label().items())
            if result.actions
            else "."
        )
    )
    if occurrences.directive_codes:
        out.print(
            f"Đã mở {len(occurrences.directive_codes)} kỳ mới của nhiệm vụ định kỳ: "
            + ", ".join(occurrences.directive_codes),
            highlight=False,
        )
    if occurrences.skipped:
        out.print(
            "Bỏ qua các kỳ đã quá hạn (chưa chạy đôn đốc trong kỳ): "
            + ", ".join(occurrences.skipped),
            highlight=False,
        )
    for why in occurrences.failed:
        out.print(f"Chưa mở được kỳ mới (thử lại ở lần đôn đốc sau): {why}", highlight=False)
    report_wakes(wakes)


@app.command("digest")
def digest_cmd() -> None:
    """Xếp thư tổng hợp hôm nay (cán bộ điều phối mỗi ngày, lãnh đạo vào ngày trong tuần đã
    đặt); 'followup dispatch' gửi đi. Chạy lại trong ngày không xếp thêm thư nào."""
    config = settings()
    with context(wake=False) as ctx:
        run = queue_digests(
            ctx,
            coordinator_unit=config.coordinator_unit,
            leader_weekday=config.leader_digest_weekday,
        )
    out.print(
        f"Thư tổng hợp: {run.queued} thư xếp gửi, {run.quiet} người không có gì mới, "
        f"{run.already} thư đã xếp từ trước.",
        highlight=False,
    )
    if config.coordinator_unit is None:
        out.print(
            "Chưa đặt FOLLOWUP_COORDINATOR_UNIT: chỉ lãnh đạo nhận thư tổng hợp.", highlight=False
        )


@app.command("dispatch")
def dispatch_cmd() -> None:
    """Gửi các thông báo đang chờ qua SMTP."""
    config = SmtpConfig.from_settings(settings())
    with context(wake=False) as ctx:
        report = asyncio.run(dispatch(ctx.session_factory, config, clock=ctx.clock))
    out.print(
        f"Đã gửi {report.sent}, chờ gửi lại {report.retrying}, không gửi được {report.failed}.",
        highlight=False,
    )
    shown = report.errors[:MAX_ERROR_LINES]
    for line in shown:
        err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    if len(report.errors) > len(shown):
        err.print(f"  … và {len(report.errors) - len(shown)} thông báo khác.", highlight=False)
    if report.failed:
        raise typer.Exit(1)
    if report.retrying:
        raise typer.Exit(EXIT_WILL_RETRY)


@app.command("serve")
def serve_cmd() -> None:
    """Phục vụ các deployment (directive, open-meeting, escalation-sweep, dispatch-outbox)."""
    die_with_parent()
    from followup.deployments import serve_all
    from followup.orchestration.runs import prefect_configured

    if not prefect_configured():
        raise Failed(
            "Chưa đặt PREFECT_API_URL: hãy chỉ tới máy chủ Prefect (ví dụ http://127.0.0.1:4200/api)."
        )
    settings().signer()  # the notices it sends need signed links: refuse now, not mid-run
    check_ready(settings().database_url)  # and a database its runs can use
    serve_all(settings())


@app.command("desk")
def desk_cmd(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng.")] = 4200,
) -> None:
    """Chạy máy chủ Prefect (API và giao diện) sau lớp đăng nhập của followup."""
    die_with_parent()
    from followup.desk.server import run, service_credential

    if service_credential() is not None:
        check_ready(settings().database_url)  # the accounts live there
    run(settings(), host, port)


@app.command("web")
def web_cmd(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng.")] = None,
) -> None:
    """Chạy các trang cho đơn vị (mở từ liên kết trong thư, không cần tài khoản)."""
    import uvicorn

    from followup.web.app import asgi

    config = settings()
    check_ready(config.database_url)
    application = asgi(config)  # refuses a missing or placeholder FOLLOWUP_LINK_SECRET
    uvicorn.run(
        application,
        host=host or config.web_host,
        port=port or config.web_port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
        # The access log would write every link's token (it is in the address) to the logs.
        access_log=False,
    )


@app.command("repair")
def repair_cmd() -> None:
    """Khởi động lại hoặc đánh thức lượt theo dõi của các nhiệm vụ còn mở theo dữ liệu của ta."""
    from followup.orchestration.runs import prefect_configured, repair

    if not prefect_configured():
        raise Failed("Chưa đặt PREFECT_API_URL: không có máy chủ Prefect để sửa.")
    with context(wake=False) as ctx:
        results = repair(ctx, dead_after=settings().run_dead_after)
    counts: dict[WakeOutcome, int] = {}
    shown = (
        WakeOutcome.STARTED,
        WakeOutcome.RESUMED,
        WakeOutcome.UNREACHABLE,
        WakeOutcome.FAILING,
    )
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        if r.outcome in shown:
            detail = f" ({r.detail})" if r.outcome is WakeOutcome.FAILING and r.detail else ""
            out.print(f"{r.directive_code}: {label(r.outcome)}{detail}", highlight=False)
    out.print(
        "Tổng: "
        + (
            ", ".join(f"{label(k)}: {v}" for k, v in sorted(counts.items()))
            or "không có nhiệm vụ mở"
        )
    )
    if counts.get(WakeOutcome.UNREACHABLE):
        raise typer.Exit(1)


@app.command("health")
def health_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Kiểm tra từng phần (cơ sở dữ liệu, máy chủ thư, Prefect, lượt quét, thư chưa gửi, lượt
    theo dõi); mã thoát: 0 tốt, 1 cảnh báo, 2 nghiêm trọng (như hệ thống giám sát đọc)."""
    from followup.orchestration.health import check_all

    checks = check_all(settings())
    if as_json:
        payload = [
            {"part": c.part, "status": c.status.name.lower(), "detail": c.detail} for c in checks
        ]
        out.print(json_text(payload), highlight=False, markup=False, soft_wrap=True)
    else:
        for c in checks:
            out.print(c.line(), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(max(c.status for c in checks))


@notices_app.command("requeue")
def notices_requeue(
    ids: Annotated[
        list[int] | None,
        typer.Argument(help="Số thông báo; bỏ trống: mọi thông báo không gửi được."),
    ] = None,
    actor: Actor = "",
) -> None:
    """Gửi lại các thông báo đã ngừng thử (máy chủ thư hỏng quá lâu, hộp thư đầy...)."""
    command = RequeueNotices(notice_ids=tuple(ids or ()), actor=actor or default_actor())
    with context(wake=False) as ctx:
        done = execute(ctx, command)
    out.print(
        f"Đã đưa {done.result.count} thông báo vào hàng chờ gửi; lần gửi tới sẽ gửi chúng.",
        highlight=False,
    )
