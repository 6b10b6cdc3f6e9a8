"""The demo scenario: the 9 March 2021 working session, followed for a month in seconds.

Most units acknowledge on day 1; Vạn Ninh never does (reminder, then its chairman, then the
city leader hear about it); progress reports arrive; most directives close on time, one closes
late, one is sent back once, and the ones Vạn Ninh shares stay overdue. The clock moves a day
at a time without sleeping; each morning the sweep runs and the outbox is sent to a local
SMTP server that saves every message as an .eml file.
"""

from __future__ import annotations

import asyncio
import html
import re
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

from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from followup.clock_file import FileClock
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.db.models import Assignment, AuditEvent, Directive, Notice, Unit
from followup.demo.local_prefect import LocalPrefect
from followup.domain.clock import start_of_local_day
from followup.domain.errors import FollowupError
from followup.domain.status import FourWay
from followup.domain.vocabulary import WakeOutcome
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.keys import expected_pause_key
from followup.orchestration.runs import repair
from followup.services.bus import execute
from followup.services.commands import (
    AssignmentCommand,
    Close,
    ReportDone,
    ReportProgress,
    SendBack,
)
from followup.services.context import ServiceContext
from followup.services.meetings import meeting_from_file
from followup.services.queries import get_directive
from followup.services.reports import UnitStatus, status_by_unit, verify_audit
from followup.services.sweep import sweep
from followup.services.units import load_units_file
from followup.web.app import serving

DATA = Path(__file__).parent / "data"
START = date(2021, 3, 9)
DAYS = 31
SILENT_UNIT = "xa-van-ninh"
COORDINATOR = "Văn phòng HĐND và UBND thành phố"


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

    @property
    def ok(self) -> bool:
        bad_runs = sum(self.flow_runs.get(s, 0) for s in ("Failed", "Crashed", "Missing"))
        return self.audit_ok and self.emails_failed == 0 and bad_runs == 0


@dataclass(frozen=True)
class _Track:
    assignment_id: int
    directive_code: str
    unit_code: str
    due_on: date
    fate: str  # on_time | late | sent_back | overdue | silent


def _fate(index: int, unit_code: str) -> str:
    if unit_code == SILENT_UNIT:
        return "silent"
    if index == 1:
        return "late"
    if index == 2:
        return "sent_back"
    if index % 4 == 3:
        return "overdue"
    return "on_time"


def _tracks(ctx: ServiceContext) -> list[_Track]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(Assignment.id, Directive.code, Unit.code, Assignment.due_on)
            .join(Directive, Directive.id == Assignment.directive_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .order_by(Directive.code, Assignment.id)
        ).all()
    codes = sorted({r[1] for r in rows})
    return [
        _Track(aid, code, unit, due, _fate(codes.index(code), unit))
        for aid, code, unit, due in rows
    ]


def _actions_for(
    track: _Track, day: date, ctx: ServiceContext
) -> list[tuple[str, Callable[[], object]]]:
    """What the unit and the coordinator do about one assignment on one day."""
    cal = ctx.calendar
    if track.fate == "silent" or not cal.is_working_day(day):
        return []
    ref = track.assignment_id
    unit_actor = f"cán bộ {track.unit_code}"
    todo: list[tuple[str, Callable[[], object]]] = []

    def run(kind: type[AssignmentCommand], **fields: Any) -> object:
        return execute(ctx, kind(target=ref, **fields))

    first_day = cal.add_working_days(START, 1)
    if day == first_day:
        # The officer opens the assignment e-mail and presses the button on the page.
        todo.append(("tiếp nhận qua liên kết e-mail", lambda: acknowledge_from_email(ctx, ref)))
    elapsed = cal.working_days_between(first_day, day)
    # Units whose work will overrun also fall silent on progress: they get requests, then
    # escalations for the missing reports.
    if elapsed > 0 and elapsed % 5 == 0 and day < track.due_on and track.fate != "overdue":
        percent = min(90, 20 * elapsed // 5 + 10)
        todo.append(
            (
                f"báo cáo tiến độ {percent}%",
                lambda: run(
                    ReportProgress,
                    percent=percent,
                    note=f"Đã thực hiện khoảng {percent}% khối lượng.",
                    actor=unit_actor,
                ),
            )
        )
    if track.fate == "overdue":
        return todo
    done_on = (
        cal.add_working_days(track.due_on, 2)
        if track.fate == "late"
        else cal.add_working_days(track.due_on, -2 if track.fate == "on_time" else -4)
    )
    done_on = max(done_on, cal.add_working_days(first_day, 1))
    if day == done_on:
        todo.append(
            (
                "báo cáo hoàn thành",
                lambda: run(
                    ReportDone,
                    note="Đơn vị đã hoàn thành nhiệm vụ, có biên bản kèm theo.",
                    actor=unit_actor,
                ),
            )
        )
    if track.fate == "sent_back":
        if day == cal.add_working_days(done_on, 1):
            todo.append(
                (
                    "bị trả lại",
                    lambda: run(
                        SendBack,
                        reason="Thiếu biên bản nghiệm thu; đề nghị bổ sung.",
                        actor=COORDINATOR,
                    ),
                )
            )
        elif day == cal.add_working_days(done_on, 2):
            todo.append(
                (
                    "báo cáo hoàn thành lần 2",
                    lambda: run(
                        ReportDone, note="Đã bổ sung biên bản nghiệm thu.", actor=unit_actor
                    ),
                )
            )
        elif day == cal.add_working_days(done_on, 3):
            todo.append(("kết thúc", lambda: run(Close, actor=COORDINATOR)))
    elif day == cal.add_working_days(done_on, 1):
        todo.append(("kết thúc", lambda: run(Close, actor=COORDINATOR)))
    return todo


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
            link_secret=link_secret,
            base_url=f"http://127.0.0.1:{web_port}",
            web_port=web_port,
            database_url=f"sqlite:///{db_path}",
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            clock_file=clock.path,
        )
        smtp = SmtpConfig.from_settings(settings)
        upgrade(settings.database_url)
        prefect: LocalPrefect | None = None
        if use_prefect:
            prefect = LocalPrefect(
                out_dir / "prefect",
                FOLLOWUP_DATABASE_URL=settings.database_url,
                FOLLOWUP_SMTP_PORT=str(sink.port),
                FOLLOWUP_CLOCK_FILE=str(clock.path),
                FOLLOWUP_LINK_SECRET=link_secret,
            )
            stack.callback(prefect.stop)
            say("Khởi động máy chủ Prefect cục bộ và 'followup serve'...")
            prefect.start_server()
            prefect.start_serving()
            stack.enter_context(temporary_settings({PREFECT_API_URL: prefect.api_url}))
            say(f"Prefect UI: {prefect.ui_url}")
        ctx = ServiceContext.from_settings(settings, clock=clock)
        stack.callback(ctx.close)
        # The commune pages, which units use below and which the saved e-mails link to.
        stack.enter_context(serving(settings, ctx))
        failed = 0
        load_units_file(ctx, DATA / "units.toml", actor=COORDINATOR)
        opened = execute(
            ctx, meeting_from_file(DATA / "meeting-2021-03-09.toml", actor=COORDINATOR)
        ).result
        if prefect:
            _wake(ctx)
        tracks = _tracks(ctx)
        for offset in range(DAYS + 1):
            day = START + timedelta(days=offset)
            clock.set(start_of_local_day(day))
            done = Counter[str]()
            for track in tracks:
                for label, act in _actions_for(track, day, ctx):
                    act()
                    done[label] += 1
            swept = sweep(ctx)
            sent = asyncio.run(dispatch(ctx.session_factory, smtp, clock=clock))
            failed += sent.failed + sent.retrying
            parts = [f"{k} {v}" for k, v in sorted(done.items())]
            parts += [f"{k} {v}" for k, v in sorted(swept.actions.items())]
            line = (
                f"{day:%d/%m/%Y}: "
                + (", ".join(parts) or "không có việc mới")
                + f" — gửi {sent.sent} e-mail"
            )
            if prefect and (day.weekday() == 4 or offset == DAYS):
                woken = _wake(ctx)
                line += f"; đánh thức {woken} lượt theo dõi trên Prefect"
            log.append(line)
            say(line)
        runs: dict[str, int] = {}
        if prefect:
            say("Chờ các lượt theo dõi trên Prefect cập nhật xong...")
            runs = _settle(ctx, opened.directive_codes)
            # What the runs sent while settling is counted below; nothing may be left over.
            leftover = asyncio.run(dispatch(ctx.session_factory, smtp, clock=clock))
            failed += leftover.failed + leftover.retrying
        summary = _summarise(ctx, opened.directive_codes, mail_dir, db_path, failed, log)
        summary.flow_runs = runs
        summary.prefect_ui = prefect.ui_url if prefect else ""
        summary.wall_seconds = round(time.monotonic() - started, 1)
        summary.web_url = settings.base_url
        if keep_running is not None:
            keep_running(summary)
    return summary


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


def acknowledge_from_email(ctx: ServiceContext, assignment_id: int) -> None:
    """What an officer does: open the newest e-mail about the assignment, follow its
    acknowledge link, and press the button on the confirmation page."""
    import httpx

    marker = f"/a/{assignment_id}/acknowledge?t="
    with ctx.session_factory() as session:
        body = session.execute(
            select(Notice.body_text)
            .where(Notice.assignment_id == assignment_id, Notice.body_text.contains(marker))
            .order_by(Notice.id.desc())
            .limit(1)
        ).scalar_one()
    found = re.search(r"https?://\S+" + re.escape(marker) + r"\S+", body)
    if found is None:  # pragma: no cover - the query above found the marker
        raise FollowupError(f"Thư về phân công {assignment_id} không có liên kết tiếp nhận.")
    with httpx.Client(timeout=30) as client:
        page = client.get(found.group(0))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        form = re.search(r'<form method="post" action="([^"]+)"', page.text)
        if page.status_code != 200 or csrf is None or form is None:
            raise FollowupError(f"Trang tiếp nhận trả lời {page.status_code}: {page.text[:200]}")
        target = ctx.base_url + html.unescape(form.group(1))
        done = client.post(target, data={"csrf": csrf.group(1), "note": ""})
        if done.status_code != 200:
            raise FollowupError(f"Gửi xác nhận tiếp nhận trả lời {done.status_code}.")


def _wake(ctx: ServiceContext) -> int:
    return sum(1 for n in repair(ctx) if n.outcome in (WakeOutcome.STARTED, WakeOutcome.RESUMED))


def _settle(ctx: ServiceContext, codes: tuple[str, ...], timeout: float = 240) -> dict[str, int]:
    """Wait until every run waits on our current state (or finished); count their states."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    calm = 0  # a run that just suspended is still exiting: ask twice, a moment apart
    while True:
        states: dict[str, int] = {}
        settled = True
        with get_client(sync_client=True) as client:
            for code in codes:
                with ctx.session_factory() as session:
                    directive = get_directive(session, code)
                    run_id, directive_id = directive.flow_run_id, directive.id
                state = client.read_flow_run(UUID(run_id)).state if run_id else None
                name = (state.name if state else None) or "Missing"
                states[name] = states.get(name, 0) + 1
                if state is None:
                    settled = False
                elif state.is_paused():
                    current = expected_pause_key(ctx, directive_id)
                    settled = settled and state.state_details.pause_key == current
                else:
                    settled = settled and state.is_final()
        calm = calm + 1 if settled else 0
        if calm >= 3 or time.monotonic() > deadline:
            return states
        time.sleep(1)


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
