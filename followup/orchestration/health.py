"""`followup health`: each part a province runs, checked the way a monitoring system reads
it (one line per part; the exit code is the worst: 0 ok, 1 warning, 2 critical, as Nagios
and its successors read plugins).

Checked: followup's database (reachable, migrated), the Prefect API, the mail server (the
dispatcher's own connection, TLS and login included), how long ago the escalation sweep last
finished, notices not delivered, and directives' runs that are dead or missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from uuid import UUID

import aiosmtplib
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from sqlalchemy import func, select

from followup.config import Settings
from followup.db.migrate import current_revision, head_revision
from followup.db.models import Assignment, Directive, Notice
from followup.domain.states import TERMINAL_STATE_VALUES
from followup.notifications.dispatcher import SmtpConfig, check_smtp
from followup.orchestration.names import DIRECTIVE_FLOW, SWEEP_FLOW
from followup.orchestration.runs import prefect_configured
from followup.services.context import ServiceContext


class Status(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2


LABELS = {Status.OK: "TỐT", Status.WARNING: "CẢNH BÁO", Status.CRITICAL: "NGHIÊM TRỌNG"}

#: A pending notice older than this is late (the dispatcher runs every few minutes).
LATE_NOTICE = timedelta(minutes=30)


@dataclass(frozen=True)
class Check:
    part: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{LABELS[self.status]:<12} {self.part}: {self.detail}"


def check_all(settings: Settings, now: datetime | None = None) -> list[Check]:
    """Every check, each one on its own (one part down does not hide the others)."""
    now = now or datetime.now(UTC)
    checks: list[Check] = []
    ctx: ServiceContext | None = None
    database = _guarded("Cơ sở dữ liệu", lambda: _database(settings))
    checks.append(database)
    if database.status is not Status.CRITICAL:
        ctx = ServiceContext.from_settings(settings)
    try:
        checks.append(_guarded("Máy chủ thư", lambda: _mail(settings)))
        if ctx is not None:
            checks.append(_guarded("Thư chưa gửi", lambda: _undelivered(ctx, now)))
        checks.append(_guarded("Prefect API", _prefect))
        if checks[-1].status is Status.OK and prefect_configured():
            checks.append(_guarded("Lượt quét đôn đốc", lambda: _last_sweep(settings, now)))
            if ctx is not None:
                checks.append(_guarded("Lượt theo dõi nhiệm vụ", lambda: _runs(ctx)))
    finally:
        if ctx is not None:
            ctx.close()
    return checks


def _guarded(part: str, check: Callable[[], tuple[Status, str]]) -> Check:
    try:
        status, detail = check()
    except Exception as exc:  # a check that cannot run is what the check reports
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check(part, Status.CRITICAL, f"không kiểm tra được: {first}")
    return Check(part, status, detail)


def _database(settings: Settings) -> tuple[Status, str]:
    url = settings.database_url
    found = current_revision(url)
    wanted = head_revision()
    if found is None:
        return Status.CRITICAL, "chưa có bảng nào: chạy 'followup db upgrade'"
    if found != wanted:
        return (
            Status.CRITICAL,
            f"phiên bản {found}, mã chương trình cần {wanted}: chạy 'followup db upgrade'",
        )
    return Status.OK, f"phiên bản {found} (mới nhất)"


def _mail(settings: Settings) -> tuple[Status, str]:
    config = SmtpConfig.from_settings(settings)
    try:
        asyncio.run(check_smtp(config))
    except (OSError, aiosmtplib.SMTPException) as exc:
        return Status.CRITICAL, f"không kết nối được tới {config.host}:{config.port} ({exc})"
    return Status.OK, f"{config.host}:{config.port} nhận kết nối"


def _undelivered(ctx: ServiceContext, now: datetime) -> tuple[Status, str]:
    with ctx.session_factory() as session:
        failed = session.execute(
            select(func.count()).select_from(Notice).where(Notice.status == "failed")
        ).scalar_one()
        late = session.execute(
            select(func.count())
            .select_from(Notice)
            .where(Notice.status == "pending", Notice.created_at < now - LATE_NOTICE)
        ).scalar_one()
    if failed:
        return (
            Status.CRITICAL,
            f"{failed} thư gửi không được (gửi lại: 'followup notices requeue'), {late} thư "
            f"chờ quá {LATE_NOTICE.seconds // 60} phút",
        )
    if late:
        return Status.WARNING, f"{late} thư chờ gửi quá {LATE_NOTICE.seconds // 60} phút"
    return Status.OK, "không có thư nào bị lỡ"


def _prefect() -> tuple[Status, str]:
    if not prefect_configured():
        return Status.WARNING, "chưa đặt PREFECT_API_URL (chỉ đúng khi không dùng Prefect)"
    with get_client(sync_client=True) as client:
        response = client.api_healthcheck()
    if response is not None:
        return Status.CRITICAL, f"không trả lời: {response}"
    return Status.OK, "trả lời"


def _last_sweep(settings: Settings, now: datetime) -> tuple[Status, str]:
    every = timedelta(minutes=settings.sweep_every_minutes)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[SWEEP_FLOW])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
            ),
            sort=FlowRunSort.END_TIME_DESC,
            limit=1,
        )
    if not runs or runs[0].end_time is None:
        return Status.WARNING, "chưa có lượt quét nào xong (lịch quét đã bật chưa?)"
    ago = now - runs[0].end_time
    said = f"lượt gần nhất xong {int(ago.total_seconds() // 60)} phút trước"
    schedule = f" (lịch: mỗi {settings.sweep_every_minutes} phút)"
    if ago > 6 * every:
        return Status.CRITICAL, said + schedule
    if ago > 3 * every:
        return Status.WARNING, said + schedule
    return Status.OK, said


def _runs(ctx: ServiceContext) -> tuple[Status, str]:
    """Open directives without a run, and open directives whose run has ended badly (the
    sweep replaces both; seen here, they have waited for it)."""
    with ctx.session_factory() as session:
        open_work = (
            select(Assignment.id)
            .where(
                Assignment.directive_id == Directive.id,
                Assignment.state.not_in(TERMINAL_STATE_VALUES),
            )
            .exists()
        )
        rows = session.execute(select(Directive.code, Directive.flow_run_id).where(open_work)).all()
    missing = [code for code, run in rows if run is None]
    by_run = {run: code for code, run in rows if run is not None}
    dead: list[str] = []
    if by_run:
        with get_client(sync_client=True) as client:
            ended = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[DIRECTIVE_FLOW])),
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[UUID(run) for run in by_run]),
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(
                            any_=[StateType.CRASHED, StateType.FAILED, StateType.CANCELLED]
                        )
                    ),
                ),
            )
        dead = sorted(by_run[str(r.id)] for r in ended if str(r.id) in by_run)
    if not missing and not dead:
        return Status.OK, f"{len(rows)} nhiệm vụ đang mở, lượt nào cũng sống"
    named = ", ".join([*dead, *missing][:5]) + ("…" if len(dead) + len(missing) > 5 else "")
    return (
        Status.WARNING,
        f"{len(dead)} lượt đã dừng, {len(missing)} nhiệm vụ chưa có lượt ({named}); "
        "lượt quét sau sẽ thay, hoặc chạy 'followup repair'",
    )
