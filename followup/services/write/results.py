"""What handlers return (detached summaries, never ORM objects), and the receipt that carried
an action in. Commands name their result type from here, so they never import a handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from followup.domain.states import AssignmentState
from followup.domain.vocabulary import AccountRole


@dataclass(frozen=True)
class AssignmentView:
    """A detached summary an action returns (never an ORM object)."""

    id: int
    directive_id: int
    directive_code: str
    unit_code: str
    state: AssignmentState
    due_on: date
    last_percent: int | None
    directive_version: int

    @property
    def directive_codes(self) -> tuple[str, ...]:
        """The directives whose runs should look again once this has committed."""
        return (self.directive_code,)


class Receipt(Protocol):
    """What carried an action in (a flow run's input, a single-use link): written in the
    action's transaction, under a unique key, so the same carrier can never act twice."""

    def write(self, session: Session, assignment_id: int, now: datetime) -> None: ...


@dataclass(frozen=True)
class DelegationView:
    id: int
    unit_code: str
    officer_name: str
    acting_name: str
    acting_email: str
    starts_on: date
    ends_on: date
    #: No directive's run needs to look again: notices pick the acting officer when sent.
    directive_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndedDelegations:
    unit_code: str
    count: int
    directive_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenedMeeting:
    meeting_id: int
    directive_codes: tuple[str, ...]
    assignments: int


@dataclass(frozen=True)
class RequeuedNotices:
    count: int
    #: Re-queued notices go out with the next dispatch; no directive's run must look again.
    directive_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountView:
    """An account as people may see it: never its password or hash."""

    login: str
    name: str
    unit_code: str
    unit_name: str
    role: AccountRole
    disabled: bool
    #: Accounts touch no directive's run.
    directive_codes: tuple[str, ...] = ()
