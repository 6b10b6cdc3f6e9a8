"""What the directive-run tests share: starting, resuming and reading runs."""

from __future__ import annotations

import json
import subprocess
import time
import tomllib
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from uuid import UUID

import httpx
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Artifact, FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.client.schemas.sorting import ArtifactSort, LogSort, TaskRunSort
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.states import Crashed
from sqlalchemy import select

from followup.db.models import Assignment, FlowInput, Notice
from followup.domain.vocabulary import CommandName, label
from followup.orchestration.keys import expected_pause_key
from followup.orchestration.names import DIRECTIVE
from followup.orchestration.overview import meeting_artifact_key
from followup.orchestration.runs import nudge
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import (
    DirectiveInput,
    MeetingFile,
    MeetingInput,
    unit_choice,
)
from followup.services.queries import get_directive
from followup.services.write.bus import execute
from followup.services.write.commands import OpenMeeting
from followup.tasks.desk import artifact_key
from tests.helpers import run_cli
from tests.prefect_stack import ROOT, PrefectStack, prefect_client

#: The resume form offers commands by their Vietnamese labels.
CHOICE = {name.value: label(name) for name in CommandName}


def new_directive(
    ctx: ServiceContext, *units: str, deadline: str = "2099-12-31", held_on: str = "2026-11-27"
) -> str:
    code = f"F-{uuid.uuid4().hex[:8]}"
    lead, *support = units
    execute(
        ctx,
        OpenMeeting(
            meeting=MeetingFile(
                meeting=MeetingInput(code=f"M-{code}", title="Họp thử", held_on=held_on),
                directives=[
                    DirectiveInput(
                        code=code,
                        title="Sửa chữa kênh mương",
                        text="Nội dung <b>thử</b>",
                        lead=lead,
                        support=support,
                        deadline=deadline,
                    )
                ],
            ),
            actor="test",
        ),
    )
    return code


def get_directive_run(ctx: ServiceContext, code: str) -> str | None:
    with ctx.session_factory() as session:
        return get_directive(session, code).flow_run_id


def run_id(ctx: ServiceContext, code: str) -> str:
    with ctx.session_factory() as session:
        found = get_directive(session, code).flow_run_id
    assert found is not None
    return found


def suspended_at_current_key(ctx: ServiceContext, code: str) -> Callable[[FlowRun], bool]:
    with ctx.session_factory() as session:
        directive_id = get_directive(session, code).id

    def check(run: FlowRun) -> bool:
        key = expected_pause_key(ctx, directive_id)
        paused = (
            run.state is not None
            and run.state.type == StateType.PAUSED
            and run.state.state_details.pause_key == key
        )
        # Prefect marks the run paused a moment before it stores the resume form's schema;
        # a resume in between is rejected ("Run input schema not found"): wait for both.
        return paused and _has_input(run.id, f"suspended-{key}-schema")

    return check


def _has_input(run_id: UUID, key: str) -> bool:
    with prefect_client() as client:
        try:
            client.read_flow_run_input(run_id, key)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return False
            raise
    return True


def start_and_wait(
    stack: PrefectStack, ctx: ServiceContext, code: str, *, started_by_opening: bool = False
) -> str:
    """Start the directive's run (or, if opening it already did, check that it did), then
    wait until it suspends on the directive's current state."""
    if started_by_opening:
        assert get_directive_run(ctx, code) is not None
    else:
        assert nudge(ctx, code).outcome == "started"
    rid = run_id(ctx, code)
    run = stack.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert run.name.startswith(f"{code} · ")  # the code and a short title
    return rid


#: The test units' names: the resume form offers a unit as "name (code)".
UNIT_NAMES = {
    u["code"]: u["name"]
    for u in tomllib.loads((ROOT / "tests/data/units.toml").read_text())["unit"]
}


def resume(rid: str, **run_input: object) -> SetStateStatus:
    """Resume with the form's input; a unit given by its code is chosen by its name."""
    unit = run_input.get("unit")
    if isinstance(unit, str) and unit in UNIT_NAMES:
        run_input["unit"] = unit_choice(unit, UNIT_NAMES[unit])
    with prefect_client() as client:
        return client.resume_flow_run(UUID(rid), run_input=run_input).status


def state_of(ctx: ServiceContext, code: str, unit: str) -> str:
    with ctx.session_factory() as session:
        directive = get_directive(session, code)
        return session.execute(
            select(Assignment.state).where(
                Assignment.directive_id == directive.id, Assignment.unit.has(code=unit)
            )
        ).scalar_one()


def inputs(ctx: ServiceContext, code: str) -> list[tuple[str, str]]:
    with ctx.session_factory() as session:
        directive = get_directive(session, code)
        return [
            (i.action, i.outcome)
            for i in session.execute(
                select(FlowInput)
                .where(FlowInput.directive_id == directive.id)
                .order_by(FlowInput.id)
            ).scalars()
        ]


def running(stack: PrefectStack, ctx: ServiceContext) -> tuple[str, str, Callable[[FlowRun], bool]]:
    """A new directive for xã Hải Tiến, its run started and waiting: code, run id, and the
    check that the run waits on the directive's current state."""
    code = new_directive(ctx, "xa-hai-tien")
    rid = start_and_wait(stack, ctx, code)
    return code, rid, suspended_at_current_key(ctx, code)


def cli(stack: PrefectStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`followup *args` in the stack's environment."""
    return run_cli(*args, env=stack.env(**env), cwd=ROOT)


def wait_for_mail(stack: PrefectStack, code: str, to: str, timeout: float = 60) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in stack.smtp.messages:
            if code in str(message["Subject"]) and to in str(message["To"]):
                return message
        time.sleep(0.3)
    raise TimeoutError(f"no e-mail about {code} reached {to}")


def pause_description(rid: str, key: str) -> str:
    """The text above a suspended run's form. Prefect stores it just after the form's
    schema, which is what `suspended_at_current_key` waits for: wait for it too."""
    stored = f"suspended-{key}-description"
    assert wait_until(lambda: _has_input(UUID(rid), stored), timeout=30), stored
    with prefect_client() as client:
        value = client.read_flow_run_input(UUID(rid), stored)
    return str(json.loads(value)) if value.startswith('"') else value


def get_id(ctx: ServiceContext, code: str) -> int:
    with ctx.session_factory() as session:
        return get_directive(session, code).id


def task_run_names(rid: str) -> list[str]:
    """The run's task runs, in the order they started."""
    with prefect_client() as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(rid)])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
        )
    return [run.name for run in sorted(runs, key=lambda r: r.start_time or r.created or 0)]


def run_logs(rid: str) -> list[tuple[int, str]]:
    """The run's log lines (level, message), oldest first."""
    found: list[tuple[int, str]] = []
    with prefect_client() as client:
        while True:
            page = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(rid)])),
                sort=LogSort.TIMESTAMP_ASC,
                limit=200,
                offset=len(found),
            )
            found += [(log.level, log.message) for log in page]
            if len(page) < 200:
                return found


def _newest_first(key: str, limit: int) -> list[Artifact]:
    """The versions of the artifact `key`, newest first."""
    with prefect_client() as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=limit,
        )


def status_artifact(code: str) -> tuple[str, list[dict[str, str]]]:
    """The latest status artifact of a directive: its description and its table's rows."""
    key = artifact_key(code)
    found = _newest_first(key, 1)
    assert found, f"no artifact {key}"
    data = found[0].data
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list), rows
    return found[0].description or "", rows


def meeting_versions(meeting_code: str) -> list[str]:
    """Every version of a meeting's artifact, oldest first: its markdown tables."""
    return [str(a.data) for a in reversed(_newest_first(meeting_artifact_key(meeting_code), 200))]


def sent_all(ctx: ServiceContext, code: str) -> bool:
    with ctx.session_factory() as session:
        directive = get_directive(session, code)
        statuses = session.execute(
            select(Notice.status).where(Notice.directive_id == directive.id)
        ).scalars()
        return all(status == "sent" for status in statuses)


def wait_until(check: Callable[[], bool], *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def events_about(resource_id: str) -> list[str]:
    """The names of the followup events Prefect holds about one resource, newest first."""
    with prefect_client() as client:
        page = client.read_events(
            EventFilter(
                event=EventNameFilter(prefix=["followup."]),
                resource=EventResourceFilter(id=[resource_id]),
            ),
            limit=50,  # the API's most; the tests' resources have fewer events
        )
    return [event.event for event in page.events]


def crashed_run(ctx: ServiceContext, code: str) -> FlowRun:
    """A run of the directive whose process died: created in its Crashed state (no need to
    run it there) and recorded as the directive's run."""
    with prefect_client() as client:
        run = client.create_flow_run_from_deployment(
            client.read_deployment_by_name(DIRECTIVE).id,
            parameters={"directive_code": code},
            state=Crashed(),
        )
    with ctx.session_factory() as session, session.begin():
        get_directive(session, code).flow_run_id = str(run.id)
    return run
