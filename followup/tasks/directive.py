"""The tasks of a directive's run: apply its inputs, load it, send its notices, show it."""

from __future__ import annotations

import asyncio
import re
from uuid import UUID

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run as current_run

from followup.domain.status import FourWay
from followup.domain.vocabulary import InputOutcome, label
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.keys import RESPONSE, version_of
from followup.orchestration.resume_form import command_from_input
from followup.orchestration.status_text import waiting_for
from followup.services.reports import DirectiveState, directive_state
from followup.services.run_inputs import RunInput, apply_input, consumed_keys
from followup.tasks import runtime


def _apply(directive_code: str, key: str, raw: str | dict[str, object]) -> InputOutcome:
    item = RunInput(
        key=key, based_on=version_of(key), command=command_from_input(directive_code, raw)
    )
    return apply_input(runtime.context(), directive_code, item)


@task(
    task_run_name="Áp dụng thao tác chờ xử lý của nhiệm vụ {directive_code}",
    retries=2,
    retry_delay_seconds=2,
)
def catch_up_inputs(directive_code: str) -> list[InputOutcome]:
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
        match = RESPONSE.match(item.key)
        if match is not None:
            outcomes.append(_apply(directive_code, match.group(1), item.value))
    return outcomes


@task(task_run_name="Áp dụng thao tác của điều phối viên cho {directive_code}")
def apply_coordinator_input(
    directive_code: str, key: str, values: dict[str, object]
) -> InputOutcome:
    return _apply(directive_code, key, values)


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
                "Trạng thái": label(u.state),
                "Hạn": u.due_on.strftime("%d/%m/%Y"),
                "Tình trạng": label(u.status) if isinstance(u.status, FourWay) else "",
                "Tiến độ": f"{u.percent}%" if u.percent is not None else "",
            }
            for u in state.units
        ],
        description=waiting_for(state),
    )


def _artifact_key(code: str) -> str:
    return "nhiem-vu-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
