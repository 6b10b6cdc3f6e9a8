"""The demo's Prefect side: wake the directive runs, wait until each has reconciled on the
current state, and read back what their passes did.

The simulated month only moves on once every woken run has suspended on our current state,
so each run's history in the Prefect UI holds one pass per wake, telling what happened since
the previous one (an acknowledgement, an escalation, a closure), in the order it happened.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from itertools import pairwise
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.client.schemas.sorting import LogSort

from followup.domain.errors import FollowupError
from followup.domain.vocabulary import AuditAction, WakeOutcome, label
from followup.orchestration.keys import expected_pause_key
from followup.orchestration.runs import repair
from followup.services.context import ServiceContext
from followup.services.queries import get_directive

#: How a Prefect state reads in the demo's summary.
STATE_LABELS = {
    "Suspended": "đang chờ",
    "Completed": "đã kết thúc",
    "Running": "đang chạy",
    "Scheduled": "đã lên lịch",
    "Pending": "đang khởi động",
    "Failed": "thất bại",
    "Crashed": "bị dừng đột ngột",
    "Missing": "không có lượt",
}
#: The steps of a directive's life the demo shows happening, in this order, in one run.
LIFECYCLE = (AuditAction.ACKNOWLEDGED, AuditAction.ESCALATED, AuditAction.CLOSED)


@dataclass
class RunPasses:
    """What the directive runs did during the demo."""

    #: Passes (a start or a resume that ran the flow) per directive.
    per_run: dict[str, int] = field(default_factory=dict)
    #: Seconds of each pass, from running to suspended (or completed).
    pass_seconds: list[float] = field(default_factory=list)
    #: Runs whose passes told an acknowledgement, then an escalation, then a closure.
    lifecycle_runs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        seconds = self.pass_seconds or [0.0]
        return {
            "per_run": self.per_run,
            "total": sum(self.per_run.values()),
            "median_pass_seconds": round(statistics.median(seconds), 2),
            "max_pass_seconds": round(max(seconds), 2),
            "lifecycle_runs": self.lifecycle_runs,
        }


def wake_and_settle(ctx: ServiceContext, codes: tuple[str, ...], timeout: float = 240) -> int:
    """Wake every run whose state is stale and wait until all of them have reconciled.
    Returns how many runs were woken."""
    woken = sum(
        1
        for n in repair(ctx, dead_after=None)
        if n.outcome in (WakeOutcome.STARTED, WakeOutcome.RESUMED)
    )
    settle(ctx, codes, timeout)
    return woken


def settle(ctx: ServiceContext, codes: tuple[str, ...], timeout: float = 240) -> dict[str, int]:
    """Wait until every run waits on our current state (or finished) and count their states.
    A failed run, or one that has not settled in `timeout` seconds, stops the demo with its
    reason: the month must not move on under a run that is still working."""
    deadline = time.monotonic() + timeout
    calm = 0  # a run that just suspended is still exiting: ask twice, a moment apart
    while True:
        states, behind = _states(ctx, codes)
        calm = 0 if behind else calm + 1
        if calm >= 2:
            return states
        if time.monotonic() > deadline:
            raise FollowupError(
                f"Các lượt theo dõi chưa cập nhật xong sau {timeout:.0f} giây: "
                + ", ".join(behind)
                + " (xem serve.log trong thư mục prefect của bản chạy thử)."
            )
        time.sleep(0.5)


def _states(ctx: ServiceContext, codes: tuple[str, ...]) -> tuple[dict[str, int], list[str]]:
    """Each run's state name counted, and the codes whose run has not settled yet."""
    states: dict[str, int] = {}
    behind: list[str] = []
    with get_client(sync_client=True) as client:
        for code in codes:
            with ctx.session_factory() as session:
                directive = get_directive(session, code)
                run_id, directive_id = directive.flow_run_id, directive.id
            state = client.read_flow_run(UUID(run_id)).state if run_id else None
            name = (state.name if state else None) or "Missing"
            states[name] = states.get(name, 0) + 1
            if state is not None and (state.is_failed() or state.is_crashed()):
                reason = (state.message or state.name or "").splitlines()[0][:300]
                raise FollowupError(
                    f"Lượt theo dõi của nhiệm vụ {code} trên Prefect thất bại: {reason} "
                    "(xem serve.log trong thư mục prefect của bản chạy thử)."
                )
            if state is None:
                behind.append(code)
            elif state.is_paused():
                if state.state_details.pause_key != expected_pause_key(ctx, directive_id):
                    behind.append(code)
            elif not state.is_final():
                behind.append(code)
    return states, behind


def passes(ctx: ServiceContext, codes: tuple[str, ...]) -> RunPasses:
    """Read back from Prefect how many passes each run made, how long each took, and which
    runs told an acknowledgement, an escalation and a closure in that order."""
    found = RunPasses()
    with get_client(sync_client=True) as client:
        for code in codes:
            with ctx.session_factory() as session:
                run_id = get_directive(session, code).flow_run_id
            if run_id is None:
                continue
            run = client.read_flow_run(UUID(run_id))
            history = sorted(client.read_flow_run_states(run.id), key=_when)
            starts = [_when(s) for s in history if s.type == StateType.RUNNING]
            found.per_run[code] = len(starts)
            found.pass_seconds += _pass_seconds(history)
            if _tells_lifecycle(client, run, starts):
                found.lifecycle_runs.append(code)
    return found


def _when(state: State) -> float:
    return state.timestamp.timestamp()


def _pass_seconds(history: list[State]) -> list[float]:
    seconds = []
    for before, after in pairwise(history):
        if before.type == StateType.RUNNING:
            seconds.append(_when(after) - _when(before))
    return seconds


def _tells_lifecycle(client: SyncPrefectClient, run: FlowRun, starts: list[float]) -> bool:
    """True if the run's log tells the first acknowledgement, escalation and closure in that
    order, the closure in a later pass than the acknowledgement."""
    logs = client.read_logs(
        log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])),
        sort=LogSort.TIMESTAMP_ASC,
        limit=200,
    )
    first: dict[AuditAction, float] = {}
    for line in logs:
        for action in LIFECYCLE:
            if action not in first and f" · {label(action)} · " in line.message:
                first[action] = line.timestamp.timestamp()
    if len(first) < len(LIFECYCLE):
        return False
    times = [first[a] for a in LIFECYCLE]

    def pass_of(moment: float) -> int:
        return sum(1 for start in starts if start <= moment)

    return times == sorted(times) and pass_of(times[0]) < pass_of(times[-1])
