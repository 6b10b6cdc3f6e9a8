"""The baseline of `bench.bigmeeting`: a flow that does what a directive run's first pass
costs Prefect (the same number of tasks, each doing nothing) and suspends, waiting for input,
as a directive run does. Deployed to the same process pool and started the same way."""

from __future__ import annotations

from prefect import flow, task
from prefect.flow_runs import suspend_flow_run


@task
def nothing() -> None:
    return None


@flow(name="bare-directive")
def bare_directive_flow(tasks: int = 4) -> None:
    for _ in range(tasks):
        nothing()
    suspend_flow_run(wait_for_input=str, key="bare")
