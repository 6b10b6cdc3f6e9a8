"""Tasks of the other deployments: open a meeting, sweep for stalled steps, send the outbox."""

from __future__ import annotations

import asyncio

from prefect import task

from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.runs import PrefectWaker, repair
from followup.services.bus import execute
from followup.services.commands import OpenMeeting
from followup.services.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.sweep import sweep
from followup.tasks import runtime


@task(task_run_name="Tạo cuộc họp {meeting.code}, giao nhiệm vụ và bắt đầu theo dõi")
def create_meeting(
    meeting: MeetingInput, directives: list[DirectiveInput], actor: str
) -> dict[str, str]:
    """Open the meeting (one transaction), then start each directive's run; returns each
    directive's code with what its start did."""
    ctx = runtime.waking_context(PrefectWaker(runtime.context()))
    command = OpenMeeting(
        meeting=MeetingFile(meeting=meeting, directives=directives),
        source=f"Cuộc họp {meeting.code}",
        actor=actor,
    )
    done = execute(ctx, command)
    return {wake.directive_code: wake.outcome.value for wake in done.wakes}


@task(task_run_name="Đôn đốc các bước bị chậm")
def run_sweep() -> dict[str, int]:
    return sweep(runtime.context()).by_label()


@task(task_run_name="Đánh thức các nhiệm vụ có thay đổi")
def wake_stale_runs() -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for wake in repair(runtime.context(), dead_after=runtime.settings().run_dead_after):
        outcomes[wake.outcome.value] = outcomes.get(wake.outcome.value, 0) + 1
    return outcomes


@task(task_run_name="Gửi các thông báo đang chờ", retries=2, retry_delay_seconds=30)
def send_pending() -> dict[str, int]:
    ctx = runtime.context()
    report = asyncio.run(
        dispatch(ctx.session_factory, SmtpConfig.from_settings(runtime.settings()), clock=ctx.clock)
    )
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
