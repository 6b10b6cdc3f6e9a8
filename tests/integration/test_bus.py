"""`execute`: one transaction per command, then the directive's run is woken — never before,
never when the command failed, and a failed wake never undoes or hides the action."""

from __future__ import annotations

import pytest

from followup.domain.errors import FollowupError
from followup.domain.states import AssignmentState
from followup.domain.vocabulary import CommandName, WakeOutcome
from followup.services.context import ServiceContext
from followup.services.ports import Wake
from followup.services.write.bus import HANDLERS, execute
from followup.services.write.commands import Acknowledge, Close, Delegate
from tests.helpers import HAI_TIEN, RecordingWaker, row_counts

HT = HAI_TIEN


def test_every_command_name_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == set(CommandName)


def test_a_committed_command_wakes_its_directive_once(loaded: ServiceContext) -> None:
    waker = RecordingWaker()
    loaded.waker = waker
    done = execute(loaded, Acknowledge(target=HT, actor="xã"))
    assert done.result.state is AssignmentState.ACKNOWLEDGED
    assert waker.woken == ["T-01"]
    assert [w.outcome for w in done.wakes] == [WakeOutcome.RESUMED]


def test_a_refused_command_wakes_nothing_and_writes_nothing(loaded: ServiceContext) -> None:
    waker = RecordingWaker()
    loaded.waker = waker
    before = row_counts(loaded)
    with pytest.raises(FollowupError):
        execute(loaded, Close(target=HT, actor="vp"))  # not reported done yet
    assert waker.woken == []
    assert row_counts(loaded) == before


def test_the_runs_own_inputs_do_not_wake_it(loaded: ServiceContext) -> None:
    waker = RecordingWaker()
    loaded.waker = waker
    execute(loaded, Acknowledge(target=HT, actor="xã"), wake=False)
    assert waker.woken == []


def test_a_unit_command_touches_no_directive(loaded: ServiceContext) -> None:
    from datetime import date

    waker = RecordingWaker()
    loaded.waker = waker
    execute(
        loaded,
        Delegate(
            unit_code="xa-hai-tien",
            acting_name="Phạm Văn Tâm",
            acting_email="tam@mongcai.local",
            starts_on=date(2021, 3, 9),
            ends_on=date(2021, 3, 19),
            actor="vp",
        ),
    )
    assert waker.woken == []


class Broken:
    def wake(self, directive_code: str) -> Wake:
        raise RuntimeError("the orchestrator fell over")


def test_a_failed_wake_leaves_the_action_standing(loaded: ServiceContext) -> None:
    loaded.waker = Broken()
    done = execute(loaded, Acknowledge(target=HT, actor="xã"))
    assert done.result.state is AssignmentState.ACKNOWLEDGED
    assert [w.outcome for w in done.wakes] == [WakeOutcome.UNREACHABLE]
    assert "fell over" in done.wakes[0].detail
