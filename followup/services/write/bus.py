"""`execute`: the one way a command is carried out, and the registry of its handlers.

Our database first, then the orchestrator: the handler runs the command in one transaction
(state, audit, notices, the receipt of what carried it in); only after it has committed are
the runs of the directives it touched woken, through the context's `RunWaker`. A failed wake
never undoes or hides the action: it is logged, reported in the outcome, and `followup
repair` or the next sweep catches the run up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from followup.domain.vocabulary import CommandName, WakeOutcome
from followup.services.context import ServiceContext
from followup.services.ports import Wake
from followup.services.write import (
    accounts,
    actions,
    delegations,
    extensions,
    meetings,
    undelivered,
)
from followup.services.write.commands import Command
from followup.services.write.results import Receipt

log = logging.getLogger(__name__)

R = TypeVar("R")


class Touches(Protocol):
    """Every handler's result names the directives whose runs should look again."""

    @property
    def directive_codes(self) -> tuple[str, ...]: ...


Handler = Callable[[ServiceContext, Any, Receipt | None], Touches]

#: One handler per command. The only list of what can be done.
HANDLERS: dict[CommandName, Handler] = {
    CommandName.ACKNOWLEDGE: actions.acknowledge,
    CommandName.PROGRESS: actions.report_progress,
    CommandName.DONE: actions.report_done,
    CommandName.CLOSE: actions.close,
    CommandName.SEND_BACK: actions.send_back,
    CommandName.CANCEL: actions.cancel,
    CommandName.ASSIGN: meetings.assign,
    CommandName.REASSIGN: meetings.reassign,
    CommandName.REQUEST_EXTENSION: extensions.request_extension,
    CommandName.APPROVE_EXTENSION: extensions.approve_extension,
    CommandName.REFUSE_EXTENSION: extensions.refuse_extension,
    CommandName.DELEGATE: delegations.delegate,
    CommandName.END_DELEGATION: delegations.end_delegation,
    CommandName.OPEN_MEETING: meetings.open_meeting,
    CommandName.REQUEUE_NOTICES: undelivered.requeue,
    CommandName.ADD_ACCOUNT: accounts.add_account,
    CommandName.DISABLE_ACCOUNT: accounts.disable_account,
}


@dataclass(frozen=True)
class Executed(Generic[R]):
    """A committed command: what its handler returned and what each wake did."""

    result: R
    wakes: tuple[Wake, ...]


def execute(
    ctx: ServiceContext, command: Command[R], *, receipt: Receipt | None = None, wake: bool = True
) -> Executed[R]:
    """Run `command` in one transaction, then (unless `wake` is False: the caller is the
    directive's own run, which reconciles next anyway) wake the runs it touched."""
    result = HANDLERS[command.name](ctx, command, receipt)
    codes = result.directive_codes if wake else ()
    wakes = tuple(wake_run(ctx, code) for code in codes)
    return Executed(result, wakes)  # type: ignore[arg-type]


def wake_run(ctx: ServiceContext, code: str) -> Wake:
    """Wake (or start) a directive's run after its change committed; never raises."""
    try:
        return ctx.waker.wake(code)
    except Exception as exc:  # the action has committed: nothing here may undo or hide it
        log.exception("followup: không báo được lượt theo dõi của %s sau một thao tác", code)
        return Wake(code, WakeOutcome.UNREACHABLE, detail=str(exc)[:200])
