"""The other deployments: open a meeting from a form, the escalation sweep, the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, task

from followup.flows import runtime
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.services.inputs import DirectiveInput, MeetingFile, MeetingInput
from followup.services.meetings import open_meeting
from followup.services.sweep import sweep

COORDINATOR = "Điều phối viên (Prefect UI)"


@task(task_run_name="Tạo cuộc họp {meeting.code} và các nhiệm vụ")
def create_meeting(
    meeting: MeetingInput, directives: list[DirectiveInput], actor: str
) -> list[str]:
    opened = open_meeting(
        runtime.context(),
        MeetingFile(meeting=meeting, directives=directives),
        actor=actor,
        source=f"Cuộc họp {meeting.code}",
    )
    return list(opened.directive_codes)


@task(task_run_name="Khởi động theo dõi nhiệm vụ {code}", retries=3, retry_delay_seconds=5)
def start_directive(code: str) -> str:
    from followup.orchestration import nudge

    return nudge(runtime.context(), code).outcome


@flow(name="open-meeting", flow_run_name="Cuộc họp {meeting.code}")
def open_meeting_flow(
    meeting: MeetingInput, directives: list[DirectiveInput], actor: str = COORDINATOR
) -> dict[str, Any]:
    """Mở cuộc họp: tạo các nhiệm vụ, giao cho đơn vị, gửi thông báo và bắt đầu theo dõi."""
    codes = create_meeting(meeting, directives, actor)
    started = {code: start_directive(code) for code in codes}
    return {"meeting": meeting.code, "directives": started}


@task(task_run_name="Đôn đốc các bước bị chậm")
def run_sweep() -> dict[str, int]:
    return dict(sweep(runtime.context()).actions)


@task(task_run_name="Đánh thức các nhiệm vụ có thay đổi")
def wake_stale_runs() -> dict[str, int]:
    from followup.orchestration import repair

    outcomes: dict[str, int] = {}
    for nudge in repair(runtime.context()):
        outcomes[nudge.outcome] = outcomes.get(nudge.outcome, 0) + 1
    return outcomes


@flow(name="escalation-sweep", flow_run_name="Đôn đốc")
def escalation_sweep_flow() -> dict[str, Any]:
    """Tìm các bước bị chậm, đôn đốc theo thang, rồi cho các nhiệm vụ liên quan cập nhật."""
    return {"actions": run_sweep(), "runs": wake_stale_runs()}


@task(task_run_name="Gửi các thông báo đang chờ", retries=2, retry_delay_seconds=30)
def send_pending() -> dict[str, int]:
    ctx = runtime.context()
    report = asyncio.run(
        dispatch(ctx.session_factory, SmtpConfig.from_settings(runtime.settings()), clock=ctx.clock)
    )
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@flow(name="dispatch-outbox", flow_run_name="Gửi thư")
def dispatch_outbox_flow() -> dict[str, int]:
    """Gửi các e-mail đang chờ trong hộp thư đi (kể cả thư gửi lại sau lỗi)."""
    return send_pending()
