"""The demo scenario: the 9 March 2021 working session, followed for a month in seconds.

Most units acknowledge on day 1; Vạn Ninh never does (reminder, then its chairman, then the
city leader hear about it); progress reports arrive; most directives close on time, one closes
late, one is sent back once, and the ones Vạn Ninh shares stay overdue. The clock moves a day
at a time without sleeping; each morning the sweep runs and the outbox is sent to a local
SMTP server that saves every message as an .eml file.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from followup.clock_file import FileClock
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.db.models import Assignment, AuditEvent, Notice
from followup.demo import units_at_work
from followup.demo.local_prefect import LocalPrefect
from followup.demo.runs import passes, settle, wake_and_settle
from followup.demo.units_at_work import COORDINATOR, START
from followup.domain.clock import start_of_local_day
from followup.domain.errors import FollowupError
from followup.domain.status import FourWay
from followup.domain.text import decimal
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.meeting_form import refresh_unit_choices
from followup.orchestration.names import SWEEP_FLOW
from followup.orchestration.runs import waking
from followup.services.context import ServiceContext
from followup.services.escalation.sweep import sweep
from followup.services.reporting.digests import queue_digests
from followup.services.reporting.period_report import status_by_unit
from followup.services.reporting.reports import UnitStatus, verify_audit
from followup.services.write.bus import execute
from followup.services.write.meetings import meeting_from_file
from followup.services.write.units import load_units_file
from followup.tasks.operations import OVERVIEW_KEY
from followup.web.app import serving

DATA = Path(__file__).parent / "data"
DAYS = 31
#: The runs are woken every second Friday (and on the last day): each wake starts a process
#: per run, about half a minute for the twelve on two cores, and a fortnight's passes still
#: tell the acknowledgements, escalations and closures in the order they happened.
WAKE_EVERY_DAYS = 14
ORG_NAME = "Văn phòng HĐND và UBND thành phố Móng Cái"
#: The city office, whose officer and head get the coordinators' daily digest.
COORDINATING_UNIT = "vp-hdnd-ubnd"


@dataclass
class DemoSummary:
    days: int
    directives: int
    assignments: int
    status_by_unit: list[dict[str, Any]]
    totals: dict[str, int]
    emails_by_kind: dict[str, int]
    emails_sent: int
    emails_failed: int
    mail_folder: str
    database: str
    audit_ok: bool
    audit_events: int
    audit_problem: str
    log: list[str] = field(default_factory=list)
    flow_runs: dict[str, int] = field(default_factory=dict)
    prefect_ui: str = ""
    web_url: str = ""
    #: Actions units took through the links in their e-mails (the commune pages).
    acted_through_pages: int = 0
    acknowledged: int = 0
    wall_seconds: float = 0.0
    #: The directive runs' passes (`RunPasses.as_dict`).
    passes: dict[str, Any] = field(default_factory=dict)
    #: Digests sent on the last day, by audience (`coordinator`, `leader`).
    digests: dict[str, int] = field(default_factory=dict)
    #: The city overview the sweep published on Prefect (its address in the UI).
    overview_url: str = ""

    @property
    def ok(self) -> bool:
        bad_runs = sum(self.flow_runs.get(s, 0) for s in ("Failed", "Crashed", "Missing"))
        return self.audit_ok and self.emails_failed == 0 and bad_runs == 0


# Long (76 lines): the demo's whole life, set-up to summary, in the order it happens; the
# parts with their own logic (Prefect, the month, the settling) are functions of their own.
def run_demo(
    out_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
    use_prefect: bool = True,
    keep_running: Callable[[DemoSummary], None] | None = None,
) -> DemoSummary:
    """Run the whole scenario in `out_dir` (wiped first) and summarise it.

    With `use_prefect`, a local Prefect server and `followup serve` run beside it: every
    directive is a flow run, woken at the end of each simulated week (and at the end) to
    reconcile, as the scheduled sweep would wake it; `keep_running` is then called with the
    summary while the server and serve are still up.
    """
    # Absolute before anything is started: the Prefect processes work in other folders, and a
    # relative database URL would open (and create) an empty database there.
    out_dir = out_dir.resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    db_path = out_dir / "followup.db"
    mail_dir = out_dir / "mail"
    say = progress or (lambda _line: None)
    log: list[str] = []
    started = time.monotonic()

    from followup.demo.mailsink import MailSink  # aiosmtpd is the optional `demo` extra

    with MailSink(mail_dir) as sink, ExitStack() as stack:
        clock = FileClock(out_dir / "clock.txt")
        clock.set(start_of_local_day(START))
        # A fresh secret per demo: its links are good for this demo's pages only.
        link_secret = secrets.token_urlsafe(48)
        web_port = _port_or_free(Settings().web_port)
        settings = Settings(
            # The demo names its office; elsewhere the units file's root unit signs.
            org_name=ORG_NAME,
            mail_from_name=f"Theo dõi nhiệm vụ - {ORG_NAME}",
            link_secret=link_secret,
            base_url=f"http://127.0.0.1:{web_port}",
            web_port=web_port,
            database_url=f"sqlite:///{db_path}",
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            clock_file=clock.path,
            # The links of day 1 still open for whoever reads the saved e-mails after the
            # simulated month (31 days) and the next.
            link_valid_days=DAYS * 2,
            coordinator_unit=COORDINATING_UNIT,
        )
        smtp = SmtpConfig.from_settings(settings)
        upgrade(settings.database_url)
        prefect = _start_prefect(out_dir, settings, stack, say) if use_prefect else None
        ctx = ServiceContext.from_settings(settings, clock=clock)
        stack.callback(ctx.close)
        # The commune pages, which units use below and which the saved e-mails link to.
        stack.enter_context(serving(settings, ctx))
        failed = 0
        load_units_file(ctx, DATA / "units.toml", actor=COORDINATOR)
        if prefect:
            say(refresh_unit_choices(ctx))
        opened = execute(
            ctx, meeting_from_file(DATA / "meeting-2021-03-09.toml", actor=COORDINATOR)
        ).result
        codes = opened.directive_codes
        if prefect:
            say(f"Mở {wake_and_settle(ctx, codes)} lượt theo dõi trên Prefect.")
        failed += _simulate_month(ctx, clock, smtp, codes if prefect else None, say=say, log=log)
        runs: dict[str, int] = {}
        if prefect:
            runs = settle(ctx, codes)
            # What the runs sent is counted below; nothing may be left over.
            leftover = asyncio.run(dispatch(ctx.session_factory, smtp, clock=clock))
            failed += leftover.failed + leftover.retrying
        # What the coordinators find on the last morning: the sweep's city overview on
        # Prefect, their digest, and the leaders' weekly one.
        overview_url = _publish_overview(prefect, say) if prefect else ""
        digests, digest_failures = _send_digests(ctx, smtp, clock)
        failed += digest_failures
        say(f"Thư tổng hợp: {digests.get('coordinator', 0)} thư cho cán bộ điều phối, "
            f"{digests.get('leader', 0)} thư tuần cho lãnh đạo.")  # fmt: skip
        summary = _summarise(ctx, codes, mail_dir, db_path, failed, log)
        summary.digests = digests
        summary.overview_url = overview_url
        summary.flow_runs = runs
        if prefect:
            summary.passes = passes(ctx, codes).as_dict()
        summary.prefect_ui = prefect.ui_url if prefect else ""
        summary.wall_seconds = round(time.monotonic() - started, 1)
        summary.web_url = settings.base_url
        if keep_running is not None:
            if prefect:  # from now on a person acts on the pages: wake the runs as they do
                waking(ctx)
            keep_running(summary)
    return summary


def _publish_overview(prefect: LocalPrefect, say: Callable[[str], None]) -> str:
    """Run the escalation sweep's flow once, as its schedule would: it publishes the city
    overview artifact (nothing is left for it to escalate or send)."""
    swept: FlowRun = run_deployment(f"{SWEEP_FLOW}/{SWEEP_FLOW}", timeout=180)  # type: ignore[assignment]
    if swept.state is None or not swept.state.is_completed():
        raise FollowupError(f"Lượt đôn đốc trên Prefect không hoàn thành: {swept.state}.")
    url = f"{prefect.ui_url}/artifacts/key/{OVERVIEW_KEY}"
    say(f"Tổng hợp toàn thành phố trên Prefect: {url}")
    return url


def _send_digests(
    ctx: ServiceContext, smtp: SmtpConfig, clock: FileClock
) -> tuple[dict[str, int], int]:
    """The coordinators' digest and, whatever the weekday, the leaders' weekly one, sent;
    returns how many went to each audience and how many failed."""
    run = queue_digests(
        ctx, coordinator_unit=COORDINATING_UNIT, leader_weekday=ctx.today().weekday()
    )
    sent = asyncio.run(dispatch(ctx.session_factory, smtp, clock=clock))
    return run.by_audience, sent.failed + sent.retrying


def _start_prefect(
    out_dir: Path, settings: Settings, stack: ExitStack, say: Callable[[str], None]
) -> LocalPrefect:
    """A local Prefect server and `followup serve`, stopped with `stack`; every process they
    start gets the demo's settings (absolute paths: they run in other folders)."""
    secret = settings.link_secret.get_secret_value() if settings.link_secret else ""
    prefect = LocalPrefect(
        out_dir / "prefect",
        FOLLOWUP_DATABASE_URL=settings.database_url,
        FOLLOWUP_SMTP_PORT=str(settings.smtp_port),
        FOLLOWUP_CLOCK_FILE=str(settings.clock_file),
        FOLLOWUP_LINK_SECRET=secret,
        FOLLOWUP_BASE_URL=settings.base_url,
        FOLLOWUP_ORG_NAME=settings.org_name or "",
        FOLLOWUP_MAIL_FROM_NAME=settings.mail_from_name or "",
        FOLLOWUP_COORDINATOR_UNIT=settings.coordinator_unit or "",
    )
    stack.callback(prefect.stop)
    say("Khởi động máy chủ Prefect cục bộ và 'followup serve'...")
    prefect.start_server()
    prefect.start_serving()
    stack.enter_context(temporary_settings({PREFECT_API_URL: prefect.api_url}))
    say(f"Prefect UI: {prefect.ui_url}")
    say(
        "Đăng nhập Prefect UI: tắt trong bản chạy thử (chỉ mở trên 127.0.0.1); "
        "bật cho nhiều người: docs/production.md, mục 'Signing in to the desk'."
    )
    return prefect


def _simulate_month(
    ctx: ServiceContext,
    clock: FileClock,
    smtp: SmtpConfig,
    codes: tuple[str, ...] | None,
    *,
    say: Callable[[str], None],
    log: list[str],
) -> int:
    """Day by day: the units act, the sweep runs, the outbox is sent; every second Friday (and
    at the end) the Prefect runs of `codes` are woken and the day waits until each has
    reconciled.
    Returns the notices that failed or wait for a retry."""
    failed = 0
    tracks = units_at_work.tracks(ctx)
    for offset in range(DAYS + 1):
        day = START + timedelta(days=offset)
        clock.set(start_of_local_day(day))
        done = Counter[str]()
        for track in tracks:
            for label, act in units_at_work.actions_for(track, day, ctx):
                act()
                done[label] += 1
        swept = sweep(ctx)
        sent = asyncio.run(dispatch(ctx.session_factory, smtp, clock=clock))
        failed += sent.failed + sent.retrying
        parts = [f"{k} {v}" for k, v in sorted(done.items())]
        parts += [f"{k} {v}" for k, v in swept.by_label().items()]
        line = (
            f"{day:%d/%m/%Y}: "
            + (", ".join(parts) or "không có việc mới")
            + f" — gửi {sent.sent} e-mail"
        )
        if codes and (_wake_day(day) or offset == DAYS):
            began = time.monotonic()
            woken = wake_and_settle(ctx, codes)
            seconds = decimal(time.monotonic() - began)
            line += (
                f"; đánh thức {woken} lượt theo dõi trên Prefect, cập nhật xong sau {seconds} giây"
            )
        log.append(line)
        say(line)
    return failed


def _wake_day(day: date) -> bool:
    """Every second Friday from the first one of the month simulated."""
    first_friday = START + timedelta(days=(4 - START.weekday()) % 7)
    return day >= first_friday and (day - first_friday).days % WAKE_EVERY_DAYS == 0


def _port_or_free(wanted: int) -> int:
    """The configured port of the pages (8080) if it is free, else any free one."""
    for port in (wanted, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise FollowupError("Không tìm được cổng trống cho trang đơn vị.")


def _summarise(
    ctx: ServiceContext,
    codes: tuple[str, ...],
    mail_dir: Path,
    db_path: Path,
    failed: int,
    log: list[str],
) -> DemoSummary:
    rows: list[UnitStatus] = status_by_unit(ctx, ctx.today())
    totals = Counter[str]()
    for row in rows:
        for kind, count in row.counts.items():
            totals[kind.value] += count
    with ctx.session_factory() as session:
        by_kind = dict(
            session.execute(
                select(Notice.kind, func.count())
                .where(Notice.status == "sent")
                .group_by(Notice.kind)
            ).all()
        )
        assignments = session.execute(select(func.count()).select_from(Assignment)).scalar_one()
        through_pages = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor.endswith("(liên kết e-mail)"))
        ).scalar_one()
        acknowledged = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "assignment.acknowledged")
        ).scalar_one()
    audit = verify_audit(ctx)
    return DemoSummary(
        days=DAYS,
        directives=len(codes),
        assignments=assignments,
        status_by_unit=[
            {"unit": r.unit_code, "name": r.unit_name, "total": r.total}
            | {k.value: r.counts[k] for k in FourWay}
            for r in rows
        ],
        totals={k.value: totals[k.value] for k in FourWay},
        emails_by_kind=dict(sorted(by_kind.items())),
        emails_sent=sum(by_kind.values()),
        emails_failed=failed,
        mail_folder=str(mail_dir),
        database=str(db_path),
        audit_ok=audit.ok,
        audit_events=audit.checked,
        audit_problem=audit.reason,
        acted_through_pages=through_pages,
        acknowledged=acknowledged,
        log=log,
    )
