"""The tasks of a directive's run: the coordinator's inputs, then one task per lifecycle step.

Task names are drawn in the run graph with an ASCII-only bitmap font that drops every other
letter, so they are written without diacritics ("2. Tiep nhan"); what a task reports (its
log line, the status artifact) keeps the full Vietnamese.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import UUID

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client

from followup.domain.lifecycle import LifecycleStep, plain_letters
from followup.domain.vocabulary import InputOutcome, label
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.keys import RESPONSE, every_input, lineage
from followup.orchestration.lifecycle import SUMMARIES
from followup.orchestration.resume_form import answered_against, command_from_input
from followup.services.reporting.reports import DirectiveState
from followup.services.write.run_inputs import RunInput, apply_input, consumed_keys, input_detail
from followup.tasks import runtime

#: The run graph's names: "1. Giao viec", "2. Tiep nhan", "3. Kiem tra tien do", "4. Ket thuc".
STEP_NAMES = {
    step: plain_letters(f"{number}. {label(step)}")
    for number, step in enumerate(LifecycleStep, start=1)
}
INPUT_NAME = plain_letters("Thao tác của điều phối viên")


def unconsumed_inputs(directive_code: str, run_id: str) -> list[tuple[str, object]]:
    """The inputs this run, and the runs it replaced, received and the directive has not
    consumed, oldest first (key, value): an input left under an older key when the state
    moved on would otherwise never be read, nor one a run received just before its process
    died (Prefect keeps it on that run, and the run started in its place has its own)."""
    seen = consumed_keys(runtime.context(), directive_code)
    exclude = {f"suspended-{k}-response" for k in seen}
    with get_client(sync_client=True) as client:
        inputs = [
            item
            for run in lineage(client, UUID(run_id))
            for item in every_input(client, run.id, "suspended-", exclude=exclude)
        ]
    found: list[tuple[str, object]] = []
    for item in sorted(inputs, key=lambda i: i.created or 0):
        match = RESPONSE.match(item.key)
        if match is not None:
            found.append((match.group(1), item.value))
    return found


@task(name=INPUT_NAME, task_run_name=INPUT_NAME, cache_policy=NO_CACHE)
def apply_coordinator_input(directive_code: str, key: str, values: object) -> InputOutcome:
    """Carry out one input of the resume form (or a wake) through the command bus."""
    raw = values if isinstance(values, str | dict) else {}
    item = RunInput(
        key=key,
        based_on=answered_against(key, raw),
        command=command_from_input(directive_code, raw),
    )
    outcome = apply_input(runtime.context(), directive_code, item)
    logger = get_run_logger()
    if outcome in (InputOutcome.REFUSED, InputOutcome.STALE):
        reason = input_detail(runtime.context(), directive_code, key)
        logger.error("Thao tác không được thực hiện (%s): %s", label(outcome), reason)
    elif item.command is not None:
        logger.info("%s: %s.", label(item.command.name), label(outcome))
    return outcome


def _send(directive_id: int, step: LifecycleStep) -> int:
    ctx = runtime.context()
    report = asyncio.run(
        dispatch(
            ctx.session_factory,
            SmtpConfig.from_settings(runtime.settings()),
            clock=ctx.clock,
            directive_id=directive_id,
            step=step,
        )
    )
    return report.sent


def _step_task(step: LifecycleStep) -> Task[[DirectiveState], str]:
    def reconcile(state: DirectiveState) -> str:
        sent = _send(state.directive_id, step)
        summary = SUMMARIES[step](state, sent)
        get_run_logger().info("%s: %s", label(step), summary)
        return summary

    reconcile.__doc__ = (
        f"{label(step)}: gửi các thông báo của bước này cho mọi đơn vị và tóm tắt bước."
    )
    return task(
        name=STEP_NAMES[step],
        task_run_name=STEP_NAMES[step],
        retries=3,
        retry_delay_seconds=[5, 30, 120],
        cache_policy=NO_CACHE,  # every pass reconciles again, whatever its inputs
    )(reconcile)


#: One task per lifecycle step, in the order a pass calls them.
STEPS: dict[LifecycleStep, Callable[[DirectiveState], str]] = {
    step: _step_task(step) for step in LifecycleStep
}
