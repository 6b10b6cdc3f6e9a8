"""The one port services use to reach the orchestrator: wake a directive's run.

Services never import Prefect. After a command commits, `bus.execute` tells the directive's
run to look at our database again through a `RunWaker`: the Prefect one
(`followup.orchestration.runs.PrefectWaker`) in the CLI, the pages and the open-meeting
flow; `NoWaker` where nothing runs (a directive's own run applying its inputs, scripts);
the tests' own that records what it was asked (`tests.helpers.RecordingWaker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from followup.domain.vocabulary import WakeOutcome


@dataclass(frozen=True)
class Wake:
    """What happened to one directive's run when it was woken."""

    directive_code: str
    outcome: WakeOutcome
    flow_run_id: str | None = None
    detail: str = ""


class RunWaker(Protocol):
    def wake(self, directive_code: str) -> Wake:
        """Make the directive's run look at our database again (start one if it has none).
        Must not raise for an unreachable orchestrator: say so in the outcome."""
        ...


class NoWaker:
    """Nothing to wake: the caller is the run itself, or no orchestrator is in use."""

    def wake(self, directive_code: str) -> Wake:
        return Wake(directive_code, WakeOutcome.SKIPPED)
