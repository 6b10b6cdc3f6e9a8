"""The directive flow: one run per directive, a reconciler that waits without a process.

Each pass loads the directive from our database, sends what is due, publishes the status
table, then suspends under a key built from our state. A resume (a coordinator's form in the
Prefect UI, or a wake from the CLI, the web pages or the sweep) reruns the flow from the top:
it first consumes every input it has not consumed yet, then reconciles again.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.client.orchestration import get_client
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run as current_run

from followup.domain.status import FourWay
from followup.flows import runtime
from followup.flows.inputs import CoordinatorAction, action_for_units
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.services.flow_inputs import InputRequest, apply_input, consumed_keys, pause_key
from followup.services.reports import DirectiveState, directive_state

FLOW_NAME = "directive"
DEPLOYMENT_NAME = "directive"
_RESPONSE = re.compile(r"^suspended-(v\d+-i\d+)-response$")


@task(
    task_run_name="Áp dụng thao tác chờ xử lý của nhiệm vụ {directive_code}",
    retries=2,
    retry_delay_seconds=2,
)
def catch_up_inputs(directive_code: str) -> list[str]:
    """Consume every input this run received and has not consumed, oldest first (an input
    left under an older key when the state moved on would otherwise never be read)."""
    run_id = current_run.id
    if run_id is None:
        return []
    seen = consumed_keys(runtime.context(), directive_code)
    with get_client(sync_client=True) as client:
        inputs = client.filter_flow_run_input(
            UUID(run_id),
            key_prefix="suspended-",
            limit=1000,
            exclude_keys={f"suspended-{k}-response" for k in seen},
        )
    outcomes = []
    for item in sorted(inputs, key=lambda i: i.created or 0):
        match = _RESPONSE.match(item.key)
        if match is None:
            continue
        action = CoordinatorAction.model_validate_json(item.value)
        outcomes.append(_apply(directive_code, match.group(1), action))
    return outcomes


def _apply(directive_code: str, key: str, action: CoordinatorAction) -> str:
    request = InputRequest(
        action=action.action,
        unit=action.unit.strip(),
        percent=action.percent,
        note=action.note,
        actor=action.actor,
    )
    return apply_input(runtime.context(), directive_code, key, request)


@task(task_run_name="Áp dụng thao tác {action.action} cho {directive_code}")
def apply_coordinator_input(directive_code: str, key: str, action: CoordinatorAction) -> str:
    return _apply(directive_code, key, action)


@task(task_run_name="Nạp tình trạng nhiệm vụ {directive_code}", retries=2, retry_delay_seconds=2)
def load_directive(directive_code: str) -> DirectiveState:
    return directive_state(runtime.context(), directive_code)


@task(
    task_run_name="Gửi thông báo của nhiệm vụ {directive_code}",
    retries=3,
    retry_delay_seconds=[5, 30, 120],
)
def send_notices(directive_code: str, directive_id: int) -> int:
    ctx = runtime.context()
    report = asyncio.run(
        dispatch(
            ctx.session_factory,
            SmtpConfig.from_settings(runtime.settings()),
            clock=ctx.clock,
            directive_id=directive_id,
        )
    )
    return report.sent


@task(task_run_name="Cập nhật bảng tình trạng nhiệm vụ {state.code}")
def publish_status(state: DirectiveState) -> None:
    create_table_artifact(
        key=_artifact_key(state.code),
        table=[
            {
                "Đơn vị": u.unit_name,
                "Mã": u.unit_code,
                "Vai trò": "chủ trì" if u.is_lead else "phối hợp",
                "Trạng thái": u.state,
                "Hạn": u.due_on.strftime("%d/%m/%Y"),
                "Tình trạng": u.status.label_vi if isinstance(u.status, FourWay) else "",
                "Tiến độ": f"{u.percent}%" if u.percent is not None else "",
            }
            for u in state.units
        ],
        description=state.waiting_for() + f"\n\n_Phiên bản {state.version}_",
    )


def _artifact_key(code: str) -> str:
    return "nhiem-vu-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


@flow(name=FLOW_NAME, flow_run_name="{directive_code}", description=__doc__)
def directive_flow(directive_code: str) -> dict[str, Any]:
    """Theo dõi một nhiệm vụ đến khi mọi đơn vị hoàn thành hoặc được hủy."""
    catch_up_inputs(directive_code)
    while True:
        state = load_directive(directive_code)
        send_notices(directive_code, state.directive_id)
        publish_status(state)
        if state.finished:
            return {"directive": directive_code, "version": state.version, "finished": True}
        key = pause_key(state.version, state.consumed)
        form = action_for_units(tuple(u.unit_code for u in state.units))
        # The description is what the Prefect UI shows above the resume form.
        waiting = form.with_initial_data(description=state.waiting_for())
        action = suspend_flow_run(wait_for_input=waiting, key=key)
        apply_coordinator_input(directive_code, key, action)
