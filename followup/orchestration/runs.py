"""Talking to Prefect from outside a run: start a directive's run, wake it, repair it.

Our database is the source of truth. Every command lands there first; `PrefectWaker` (the
`RunWaker` that `services.write.bus.execute` calls after the commit) then only tells the
directive's run to look again. When Prefect is unreachable the action still stands and
`followup repair` (or the next sweep) catches the run up.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.deployments import run_deployment
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.exceptions import ObjectNotFound, PrefectException
from prefect.settings import PREFECT_API_URL
from prefect.states import Crashed
from sqlalchemy import select, update

from followup.config import Settings
from followup.db.models import Assignment, Directive
from followup.domain.clock import LOCAL_TZ
from followup.domain.states import TERMINAL_STATE_VALUES
from followup.domain.vocabulary import WakeOutcome
from followup.orchestration.keys import expected_pause_key, lineage
from followup.orchestration.names import DIRECTIVE
from followup.orchestration.resume_form import wake_input
from followup.services.context import ServiceContext
from followup.services.ports import Wake
from followup.services.queries import get_directive

log = logging.getLogger(__name__)

UNREACHABLE = (httpx.HTTPError, OSError, PrefectException, RuntimeError)
_DEAD = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.CANCELLING}
#: How an ended run is told in the log of the sweep that replaced it.
_ENDED = {
    StateType.FAILED: "bị lỗi",
    StateType.CRASHED: "bị dừng đột ngột",
    StateType.CANCELLED: "đã bị hủy",
    StateType.CANCELLING: "đang bị hủy",
    StateType.COMPLETED: "đã kết thúc khi việc còn mở",
}
HEARTBEAT = "prefect.flow-run.heartbeat"


W = WakeOutcome


def prefect_configured() -> bool:
    """Without PREFECT_API_URL the client would start a throw-away server: never do that."""
    return bool(PREFECT_API_URL.value())


def _run_id(ctx: ServiceContext, code: str) -> tuple[int, str | None, bool]:
    with ctx.session_factory() as session:
        directive = get_directive(session, code)
        open_left = session.execute(
            select(Assignment.id)
            .where(
                Assignment.directive_id == directive.id,
                Assignment.state.not_in(TERMINAL_STATE_VALUES),
            )
            .limit(1)
        ).first()
        return directive.id, directive.flow_run_id, open_left is not None


def start_run(
    ctx: ServiceContext, code: str, *, replacing: str | None = None, why: str = ""
) -> Wake:
    """Start the directive's run (idempotent: one start per directive and predecessor);
    `why` says what became of the one it replaces, for the log."""
    run: FlowRun = run_deployment(  # type: ignore[assignment]
        DIRECTIVE,
        parameters={"directive_code": code},
        timeout=0,
        idempotency_key=f"directive:{code}:after:{replacing or 'none'}",
        as_subflow=False,
        # Always the blocking call: a caller with an event loop of its own in the thread
        # (a browser driver, an async web server) would otherwise get a coroutine back.
        _sync=True,  # type: ignore[call-arg]
    )
    with ctx.session_factory() as session, session.begin():
        session.execute(
            update(Directive).where(Directive.code == code).values(flow_run_id=str(run.id))
        )
    return Wake(code, W.STARTED, str(run.id), why)


def silent_for(client: SyncPrefectClient, run: FlowRun, now: datetime) -> timedelta:
    """How long, at `now`, the run has given no sign of life: its last state change or the
    last heartbeat its process sent (Prefect's engine emits one every
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds while the run's process is alive)."""
    since = run.state.timestamp if run.state and run.state.timestamp else run.created
    if since is None:
        return timedelta(0)
    beats = client.read_events(
        EventFilter(
            event=EventNameFilter(name=[HEARTBEAT]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
            occurred=EventOccurredFilter(since=since, until=now),
        ),
        limit=1,  # newest first
    ).events
    last = max([since, *(beat.occurred for beat in beats)])
    return now - last


# Longer than most (61 lines): one decision over the states a run can be in, kept whole so
# that every case and its reason read together.
def nudge(
    ctx: ServiceContext,
    code: str,
    *,
    stale_only: bool = False,
    dead_after: timedelta | None = None,
    now: datetime | None = None,
) -> Wake:
    """Make the directive's run look at our database again.

    Suspended → resumed with a wake (only if its key is stale, when `stale_only`);
    missing, failed, crashed or cancelled while work is open → a new run is started;
    scheduled or running → left alone (it reconciles on its own, and the sweep resumes it if
    it then suspended on a key that is already old), unless it has given no sign of life (a
    state change or a heartbeat of its process) for `dead_after`: then its process is dead
    (killed with its worker), it is marked crashed and a new run replaces it. Even if it were
    alive, both runs only reconcile from our database: nothing is sent or applied twice.
    `now` is real time (Prefect's, not the followup clock, which a demo moves); the tests
    pass a later one rather than wait through a dead-after span.
    """
    if not prefect_configured():
        return Wake(code, W.NOT_CONFIGURED)
    directive_id, run_id, open_left = _run_id(ctx, code)
    try:
        if run_id is None:
            return start_run(ctx, code) if open_left else Wake(code, W.FINISHED)
        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(run_id))
            except ObjectNotFound:
                return (
                    start_run(
                        ctx, code, replacing=run_id, why="thay lượt cũ không còn trên Prefect"
                    )
                    if open_left
                    else Wake(code, W.FINISHED, run_id)
                )
            state = run.state
            kind = state.type if state else None
            if kind == StateType.PAUSED and state is not None:
                current_key = state.state_details.pause_key
                if stale_only and current_key == expected_pause_key(ctx, directive_id):
                    return Wake(code, W.UP_TO_DATE, run_id)
                result = client.resume_flow_run(UUID(run_id), run_input=wake_input())
                if result.status != SetStateStatus.ACCEPT:
                    return Wake(code, W.BUSY, run_id, str(result.details))
                return Wake(code, W.RESUMED, run_id)
            if kind == StateType.FAILED and state is not None:
                held = _held_after_failures(client, run, now or datetime.now(UTC))
                if held is not None:
                    return Wake(code, W.FAILING, run_id, held)
            if kind in _DEAD or (kind == StateType.COMPLETED and open_left):
                why = f"thay lượt cũ '{run.name}': {_ENDED.get(kind, 'đã kết thúc')}"
                return start_run(ctx, code, replacing=run_id, why=why)
            if (
                kind in (StateType.RUNNING, StateType.PENDING)
                and dead_after is not None
                and (silence := silent_for(client, run, now or datetime.now(UTC))) > dead_after
            ):
                client.set_flow_run_state(
                    UUID(run_id),
                    Crashed(
                        message=f"followup: không có nhịp tim {silence.total_seconds():.0f} "
                        "giây, tiến trình của lượt đã dừng; lượt mới thay thế"
                    ),
                    force=True,
                )
                why = (
                    f"thay lượt cũ '{run.name}': không có nhịp tim "
                    f"{silence.total_seconds():.0f} giây, tiến trình đã dừng"
                )
                return start_run(ctx, code, replacing=run_id, why=why)
            return Wake(code, W.BUSY if kind != StateType.COMPLETED else W.FINISHED, run_id)
    except UNREACHABLE as exc:
        log.warning("followup: Prefect không nhận yêu cầu báo lượt theo dõi %s: %s", code, exc)
        return Wake(code, W.UNREACHABLE, run_id, str(exc).splitlines()[0] if str(exc) else "")


#: How long a failed run that replaced a failed one is left before it is replaced in turn:
#: this, doubled for each failed run before it in a row, at most `FAILING_HOLD_MOST`. A run that
#: fails the same way every time (a bug, a worker that cannot reach the database) is not
#: replaced at every sweep, each time leaving one more failed run.
FAILING_HOLD = timedelta(minutes=10)
FAILING_HOLD_MOST = timedelta(days=1)


def _held_after_failures(client: SyncPrefectClient, run: FlowRun, now: datetime) -> str | None:
    """Why the failed `run` is not replaced yet, or None when it is time (a first failure
    is replaced at once)."""
    replaced = 0  # the failed runs just before this one, in a row
    for earlier in reversed(lineage(client, run.id)[:-1]):
        if earlier.state is None or earlier.state.type != StateType.FAILED:
            break
        replaced += 1
    failed_at = run.state.timestamp if run.state and run.state.timestamp else None
    if replaced == 0 or failed_at is None:
        return None
    until = failed_at + min(FAILING_HOLD * 2 ** (replaced - 1), FAILING_HOLD_MOST)
    if now >= until:
        return None
    return (
        f"lượt '{run.name}' lỗi lần thứ {replaced + 1} liên tiếp; thay lại sau "
        f"{until.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
    )


def repair(ctx: ServiceContext, *, dead_after: timedelta | None) -> list[Wake]:
    """Bring every directive's run in line with our database; nothing is sent twice
    (notices are deduplicated in the outbox, inputs by their keys). A run silent for
    `dead_after` is replaced (None: running runs are always left alone)."""
    with ctx.session_factory() as session:
        codes = list(
            session.execute(
                select(Directive.code)
                .where(
                    # Open work, or a run that may still wait (to let it see it is finished).
                    Directive.flow_run_id.is_not(None)
                    | select(Assignment.id)
                    .where(
                        Assignment.directive_id == Directive.id,
                        Assignment.state.not_in(TERMINAL_STATE_VALUES),
                    )
                    .exists()
                )
                .order_by(Directive.code)
            ).scalars()
        )
    return [nudge(ctx, code, stale_only=True, dead_after=dead_after) for code in codes]


def catch_up_after_start(settings: Settings) -> threading.Timer:
    """Once `followup serve` has been up for the dead-after span, replace the runs that a
    killed predecessor left "running" (silent since before this start) and wake the stale
    ones, rather than leave them to the next sweep."""

    def catch_up() -> None:
        ctx = waking(ServiceContext.from_settings(settings))
        try:
            wakes = repair(ctx, dead_after=settings.run_dead_after)
        except Exception:  # a thread's failure must not pass in silence
            log.exception("followup: không bắt kịp được các lượt theo dõi sau khi khởi động")
            return
        finally:
            ctx.close()
        replaced = [w.directive_code for w in wakes if w.outcome == W.STARTED]
        log.info(
            "followup: đã kiểm tra %d lượt theo dõi sau khi khởi động; bắt đầu lại: %s",
            len(wakes),
            ", ".join(replaced) or "không có",
        )

    timer = threading.Timer(settings.run_dead_after.total_seconds(), catch_up)
    timer.daemon = True
    timer.start()
    return timer


class PrefectWaker:
    """The `RunWaker` of a followup with a Prefect server: resume the directive's suspended
    run, or start one if it has none (or its run died)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def wake(self, directive_code: str) -> Wake:
        return nudge(self._ctx, directive_code)


def waking(ctx: ServiceContext) -> ServiceContext:
    """`ctx`, now waking directive runs on Prefect after every command (if PREFECT_API_URL
    is set; otherwise each wake says so)."""
    ctx.waker = PrefectWaker(ctx)
    return ctx
