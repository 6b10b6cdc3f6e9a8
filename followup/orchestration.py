"""Talking to Prefect from outside a flow: start a directive's run, wake it, repair it.

Our database is the source of truth. Every action lands there first; this module then only
tells the directive's run to look again. When Prefect is unreachable the action still stands
and `followup repair` (or the next sweep) catches the run up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectException
from prefect.settings import PREFECT_API_URL
from prefect.states import Crashed
from sqlalchemy import select, update

from followup.db.models import Assignment, Directive
from followup.flows.directive import DEPLOYMENT_NAME, FLOW_NAME
from followup.services.context import ServiceContext
from followup.services.flow_inputs import expected_pause_key
from followup.services.loading import get_directive

log = logging.getLogger(__name__)

DEPLOYMENT = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
UNREACHABLE = (httpx.HTTPError, OSError, PrefectException, RuntimeError)
_DEAD = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.CANCELLING}


@dataclass(frozen=True)
class Nudge:
    directive_code: str
    outcome: str  # resumed | started | busy | finished | unreachable | not-configured
    flow_run_id: str | None = None
    detail: str = ""


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
                Assignment.state.not_in(("closed", "cancelled")),
            )
            .limit(1)
        ).first()
        return directive.id, directive.flow_run_id, open_left is not None


def start_run(ctx: ServiceContext, code: str, *, replacing: str | None = None) -> Nudge:
    """Start the directive's run (idempotent: one start per directive and predecessor)."""
    run: FlowRun = run_deployment(  # type: ignore[assignment]
        DEPLOYMENT,
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
    return Nudge(code, "started", str(run.id))


def nudge(
    ctx: ServiceContext,
    code: str,
    *,
    stale_only: bool = False,
    stuck_after: timedelta | None = None,
) -> Nudge:
    """Make the directive's run look at our database again.

    Suspended → resumed with a wake (only if its key is stale, when `stale_only`);
    missing, failed, crashed or cancelled while work is open → a new run is started;
    scheduled or running → left alone (it reconciles on its own, and the sweep resumes it if
    it then suspended on a key that is already old), unless it has been running longer than
    `stuck_after`: then its process is taken for dead (killed with its worker; without
    heartbeats Prefect cannot tell), it is marked crashed and a new run replaces it. Even if it
    was alive, both runs only reconcile from our database: nothing is sent or applied twice.
    """
    if not prefect_configured():
        return Nudge(code, "not-configured")
    directive_id, run_id, open_left = _run_id(ctx, code)
    try:
        if run_id is None:
            return start_run(ctx, code) if open_left else Nudge(code, "finished")
        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(run_id))
            except ObjectNotFound:
                return (
                    start_run(ctx, code, replacing=run_id)
                    if open_left
                    else Nudge(code, "finished", run_id)
                )
            state = run.state
            kind = state.type if state else None
            if kind == StateType.PAUSED and state is not None:
                current_key = state.state_details.pause_key
                if stale_only and current_key == expected_pause_key(ctx, directive_id):
                    return Nudge(code, "up-to-date", run_id)
                result = client.resume_flow_run(UUID(run_id), run_input={"action": "wake"})
                if result.status != SetStateStatus.ACCEPT:
                    return Nudge(code, "busy", run_id, str(result.details))
                return Nudge(code, "resumed", run_id)
            if kind in _DEAD or (kind == StateType.COMPLETED and open_left):
                return start_run(ctx, code, replacing=run_id)
            if (
                kind in (StateType.RUNNING, StateType.PENDING)
                and stuck_after is not None
                and state is not None
                and state.timestamp is not None
                and datetime.now(UTC) - state.timestamp > stuck_after
            ):
                client.set_flow_run_state(
                    UUID(run_id),
                    Crashed(message="followup repair: no progress, its process is gone"),
                    force=True,
                )
                return start_run(ctx, code, replacing=run_id)
            return Nudge(code, "busy" if kind != StateType.COMPLETED else "finished", run_id)
    except UNREACHABLE as exc:
        log.warning("Prefect did not take the nudge for %s: %s", code, exc)
        return Nudge(code, "unreachable", run_id, str(exc).splitlines()[0] if str(exc) else "")


def repair(ctx: ServiceContext, *, stuck_after: timedelta | None = None) -> list[Nudge]:
    """Bring every directive's run in line with our database; nothing is sent twice
    (notices are deduplicated in the outbox, inputs by their keys)."""
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
                        Assignment.state.not_in(("closed", "cancelled")),
                    )
                    .exists()
                )
                .order_by(Directive.code)
            ).scalars()
        )
    return [nudge(ctx, code, stale_only=True, stuck_after=stuck_after) for code in codes]
