"""The directive flow: one run per directive, a reconciler that waits without a process.

Each pass loads the directive from our database, sends what is due, publishes the status
table, then suspends under a key built from our state. A resume (a coordinator's form in the
Prefect UI, or a wake from the CLI, the web pages or the sweep) reruns the flow from the top:
it first consumes every input it has not consumed yet, then reconciles again.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.flow_runs import suspend_flow_run

from followup.orchestration.keys import pause_key
from followup.orchestration.names import DIRECTIVE_FLOW
from followup.orchestration.resume_form import action_for_units
from followup.orchestration.status_text import waiting_for
from followup.tasks.directive import (
    apply_coordinator_input,
    catch_up_inputs,
    load_directive,
    publish_status,
    send_notices,
)


@flow(name=DIRECTIVE_FLOW, flow_run_name="{directive_code}", description=__doc__)
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
        waiting = form.with_initial_data(description=waiting_for(state))
        action = suspend_flow_run(wait_for_input=waiting, key=key)
        apply_coordinator_input(directive_code, key, action.model_dump(mode="json"))
