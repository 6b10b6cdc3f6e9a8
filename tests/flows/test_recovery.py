"""Recovery from a dead run on a real Prefect server: dead or alive is told by the run's
heartbeat, and a restarted `followup serve` replaces a killed run by itself."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from prefect.client.schemas.objects import StateType
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.states import Crashed, Failed, Running
from sqlalchemy import func, select

from followup.db.models import AuditEvent, Notice
from followup.domain.vocabulary import WakeOutcome
from followup.orchestration.names import DIRECTIVE
from followup.orchestration.runs import HEARTBEAT, nudge
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import unit_choice
from followup.services.queries import get_directive
from tests.flows.helpers import (
    CHOICE,
    UNIT_NAMES,
    new_directive,
    run_id,
    sent_all,
    start_and_wait,
    state_of,
    suspended_at_current_key,
    wait_until,
)
from tests.prefect_stack import PrefectStack, prefect_client

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


def test_a_running_run_is_dead_when_its_heartbeat_stops_not_when_it_runs_long(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    """A run "running" longer than the dead-after span but still sending heartbeats is left
    alone; once its heartbeats stop for that span it is marked crashed and replaced. The
    heartbeat and the nudges are dated a few seconds on (`now`) instead of waited for."""
    dead_after = timedelta(seconds=8)
    code = new_directive(ctx, "xa-hai-tien")
    with prefect_client() as client:
        deployment = client.read_deployment_by_name(DIRECTIVE)
        # A run some other process is executing (the runner only starts scheduled runs).
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"directive_code": code}, state=Running()
        )
    rid = str(run.id)
    with ctx.session_factory() as session, session.begin():
        get_directive(session, code).flow_run_id = rid
    running_since = stack.run(rid).state.timestamp  # type: ignore[union-attr]
    # Its process sent a heartbeat a few seconds into the run.
    beat_at = heartbeat(stack, rid, at=running_since + timedelta(seconds=4))
    assert wait_until(lambda: seen_heartbeat(rid), timeout=30)
    # Running longer than the span, but a heartbeat within it: alive.
    later = running_since + dead_after + timedelta(seconds=1)
    busy = nudge(ctx, code, dead_after=dead_after, now=later)
    assert busy.outcome == WakeOutcome.BUSY, busy
    assert stack.run(rid).state.type == StateType.RUNNING  # type: ignore[union-attr]

    # No heartbeat for longer than the span: dead, replaced.
    replaced = nudge(ctx, code, dead_after=dead_after, now=beat_at + dead_after * 1.5)
    assert replaced.outcome == WakeOutcome.STARTED, replaced
    assert replaced.flow_run_id != rid
    assert f"thay lượt cũ '{run.name}': không có nhịp tim 12 giây" in replaced.detail
    dead = stack.run(rid).state
    assert dead is not None
    assert dead.type == StateType.CRASHED
    assert "nhịp tim 12 giây" in (dead.message or "")
    stack.wait_for_run(run_id(ctx, code), suspended_at_current_key(ctx, code))


def heartbeat(stack: PrefectStack, rid: str, *, at: datetime) -> datetime:
    """The event Prefect's engine sends while a run's process is alive, as of `at`."""
    occurred = at
    event = {
        "id": str(uuid4()),
        "occurred": occurred.isoformat(),
        "event": HEARTBEAT,
        "resource": {"prefect.resource.id": f"prefect.flow-run.{rid}"},
        "related": [],
        "payload": {},
    }
    httpx.post(f"{stack.api_url}/events", json=[event], timeout=10).raise_for_status()
    return occurred


def seen_heartbeat(rid: str) -> bool:
    with prefect_client() as client:
        page = client.read_events(
            EventFilter(
                event=EventNameFilter(name=[HEARTBEAT]),
                resource=EventResourceFilter(id=[f"prefect.flow-run.{rid}"]),
            ),
            limit=1,
        )
    return bool(page.events)


def test_serve_killed_mid_run_replaces_the_dead_run_itself_once_restarted(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    """`kill -9` of `followup serve` (and its runs) mid-send; started again, it replaces the
    silent run after the dead-after span on its own (no `repair`, no sweep): every notice is
    sent once, no audit event is added, and the new run suspends on our current state."""
    smtp = stack.smtp
    dead_after = 31  # the least above the heartbeat (30 s, Prefect's minimum)
    code = new_directive(ctx, "xa-hai-tien", "phong-nn")
    smtp.handler.stall_seconds = 30  # the run hangs inside its send step
    try:
        assert nudge(ctx, code).outcome == "started"
        rid = run_id(ctx, code)
        stack.wait_for_run(rid, lambda r: r.state is not None and r.state.type == StateType.RUNNING)
        smtp.handler.wait_until_stalled(timeout=60)
        stack.kill_serving()
        killed_at = time.monotonic()
    finally:
        smtp.handler.stall_seconds = 0
    with ctx.session_factory() as session:
        directive_id = get_directive(session, code).id
        ours = select(func.count()).where(AuditEvent.directive_id == directive_id)
        events_before = session.execute(ours).scalar_one()
    try:
        stack.start_serving(
            FOLLOWUP_CATCH_UP_ON_START="true", FOLLOWUP_RUN_DEAD_AFTER_SECONDS=str(dead_after)
        )
        assert wait_until(lambda: run_id(ctx, code) != rid, timeout=dead_after + 60), (
            stack.serve_log()
        )
        stack.wait_for_run(run_id(ctx, code), suspended_at_current_key(ctx, code), timeout=120)
        assert wait_until(lambda: sent_all(ctx, code), timeout=60)
        recovered = time.monotonic() - killed_at
    finally:
        stack.kill_serving()
        stack.start_serving()
    print(f"\nkill -9 → every notice sent and the run suspended again: {recovered:.1f} s")
    assert recovered >= dead_after  # replaced by the heartbeat rule, not by something else
    dead = stack.run(rid).state
    assert dead is not None
    assert dead.type == StateType.CRASHED

    with ctx.session_factory() as session:
        directive = get_directive(session, code)
        notices = session.execute(
            select(Notice.message_id).where(Notice.directive_id == directive.id)
        ).scalars()
        message_ids = list(notices)
        events_after = session.execute(ours).scalar_one()
    assert events_after == events_before  # reconciling writes no new facts
    assert len(message_ids) == 2
    delivered = [str(m["Message-ID"]) for m in smtp.messages]
    for message_id in message_ids:
        assert delivered.count(message_id) == 1


def test_an_answer_left_on_a_run_that_died_is_carried_out_by_the_run_after_it(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    """The coordinator's answer reached the run (Prefect keeps it on that run), then the
    run's process died before carrying it out. The run started in its place carries it out:
    the answer is not lost."""
    code = new_directive(ctx, "xa-hai-tien")
    rid = start_and_wait(stack, ctx, code)
    key = stack.run(rid).state.state_details.pause_key  # type: ignore[union-attr]
    answer = {
        "action": CHOICE["acknowledge"],
        "unit": unit_choice("xa-hai-tien", UNIT_NAMES["xa-hai-tien"]),
        "actor": "Nguyễn Văn An",
    }
    with prefect_client() as client:
        client.create_flow_run_input(UUID(rid), f"suspended-{key}-response", json.dumps(answer))
        client.set_flow_run_state(UUID(rid), Crashed(message="tiến trình bị tắt"), force=True)
    replaced = nudge(ctx, code)
    assert replaced.outcome == WakeOutcome.STARTED, replaced
    assert wait_until(lambda: state_of(ctx, code, "xa-hai-tien") == "acknowledged", timeout=90)
    stack.wait_for_run(run_id(ctx, code), suspended_at_current_key(ctx, code))
    with ctx.session_factory() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "assignment.acknowledged")
        ).all()
    assert any("Nguyễn Văn An" in actor for actor in actors)


def test_a_run_that_keeps_failing_is_replaced_less_and_less_often(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    """A run that failed once is replaced at once, even after replacing a run that crashed;
    one that failed after a failed one is left a while first (10 minutes, doubling), so a
    run that fails the same way every time does not leave one more failed run at every
    sweep."""
    once, twice = new_directive(ctx, "xa-hai-tien"), new_directive(ctx, "xa-hai-xuan")
    with prefect_client() as client:
        deployment = client.read_deployment_by_name(DIRECTIVE).id

        def failed(code: str, after: str) -> str:
            run = client.create_flow_run_from_deployment(
                deployment,
                parameters={"directive_code": code},
                state=Failed(message="lỗi thử"),
                idempotency_key=f"directive:{code}:after:{after}",
            )
            with ctx.session_factory() as session, session.begin():
                get_directive(session, code).flow_run_id = str(run.id)
            return str(run.id)

        crashed = client.create_flow_run_from_deployment(
            deployment, parameters={"directive_code": once}, state=Crashed()
        )
        failed(once, str(crashed.id))
        last = failed(twice, failed(twice, "none"))
    failed_at = stack.run(last).state.timestamp  # type: ignore[union-attr]
    assert failed_at is not None
    assert nudge(ctx, once, now=failed_at).outcome == WakeOutcome.STARTED
    held = nudge(ctx, twice, now=failed_at + timedelta(minutes=5))
    assert held.outcome == WakeOutcome.FAILING, held
    assert "lỗi lần thứ 2 liên tiếp; thay lại sau" in held.detail
    assert run_id(ctx, twice) == last  # left as it is, for now
    again = nudge(ctx, twice, now=failed_at + timedelta(minutes=11))
    assert again.outcome == WakeOutcome.STARTED, again
    stack.wait_for_run(run_id(ctx, twice), suspended_at_current_key(ctx, twice))
