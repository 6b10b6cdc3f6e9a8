"""The directive flow: one run per directive, a reconciler that waits without a process.

Each pass first carries out the coordinator's inputs it has not consumed, then calls one task
per lifecycle step (Giao việc, Tiếp nhận, Kiểm tra tiến độ, Kết thúc): each sends its step's
due notices for every unit and says in one sentence where the step stands. The pass then
tells the story since the previous pass in the run's log, names and tags the run, publishes
the status table, and suspends under a key built from our state. A resume (a coordinator's
form in the Prefect UI, or a wake from the CLI, the web pages or the sweep) reruns the flow
from the top.
"""

from __future__ import annotations

from prefect import flow
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run as current_run

from followup.orchestration.keys import pause_key
from followup.orchestration.names import DIRECTIVE_FLOW
from followup.orchestration.resume_form import action_for_units
from followup.orchestration.status_text import refusals, waiting_for
from followup.services.reporting.reports import directive_state
from followup.tasks import runtime
from followup.tasks.desk import previous_pass, show_pass
from followup.tasks.directive import STEPS, apply_coordinator_input, unconsumed_inputs


@flow(name=DIRECTIVE_FLOW, flow_run_name="{directive_code}", description=__doc__)
def directive_flow(directive_code: str) -> dict[str, str]:
    """Theo dõi một nhiệm vụ đến khi mọi đơn vị hoàn thành hoặc được hủy."""
    run_id: str | None = current_run.id
    if run_id is not None:
        for key, value in unconsumed_inputs(directive_code, run_id):
            apply_coordinator_input(directive_code, key, value)
    since = previous_pass(run_id) if run_id is not None else 0
    while True:
        state = directive_state(runtime.context(), directive_code)
        summary = {step.value: run_step(state) for step, run_step in STEPS.items()}
        told = show_pass(runtime.context(), state, run_id=run_id, since=since)
        if state.finished:
            return summary
        key = pause_key(state.version, state.consumed)
        what = waiting_for(state)
        # A refused attempt heads the next form: the coordinator sees why where they act.
        asked = "\n\n".join([*refusals(told), what])
        form = action_for_units(tuple((u.unit_code, u.unit_name) for u in state.units), asked)
        # The description is what the Prefect UI shows above the resume form.
        waiting = form.with_initial_data(description=asked)
        action = suspend_flow_run(wait_for_input=waiting, key=key)
        apply_coordinator_input(directive_code, key, action.model_dump(mode="json"))
        since = state.version
