"""Every action a person can take, as a command: one frozen dataclass each.

The CLI's action commands, the commune pages, the Prefect resume form and the directive
flow's input handling all build these and hand them to `followup.services.write.bus.execute`, which
runs the one handler registered for the command in one transaction and then wakes the
directive's run. A new action is one dataclass here, one handler, its labels in
`followup.domain.vocabulary`, its templates and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from followup.domain.calendar import WorkingDaysLater
from followup.domain.vocabulary import CommandName
from followup.services.intake.meeting_files import MeetingFile
from followup.services.refs import AssignmentRef, EvidenceFile

if TYPE_CHECKING:  # commands only name the type their handler returns
    from followup.services.write.results import (  # noqa: F401
        AccountView,
        AssignmentView,
        DelegationView,
        EndedDelegations,
        OpenedMeeting,
        RequeuedNotices,
    )

R = TypeVar("R", covariant=True)


#: A new deadline: a day, or a number of working days after the current deadline.
NewDeadline = date | WorkingDaysLater


@dataclass(frozen=True, kw_only=True)
class Command(Generic[R]):
    """Who does it; every command names its actor (written to the audit trail). `R` is what
    its handler returns."""

    name: ClassVar[CommandName]
    actor: str


@dataclass(frozen=True, kw_only=True)
class AssignmentCommand(Command["AssignmentView"]):
    """A command on one assignment: by (directive, unit) codes, or by its number (links)."""

    target: AssignmentRef | int


@dataclass(frozen=True, kw_only=True)
class Acknowledge(AssignmentCommand):
    """The unit confirms it received the directive and takes it on."""

    name: ClassVar[CommandName] = CommandName.ACKNOWLEDGE
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ReportProgress(AssignmentCommand):
    """A progress report: percent done and what was done."""

    name: ClassVar[CommandName] = CommandName.PROGRESS
    percent: int | None  # None: not given, refused in one sentence
    note: str


@dataclass(frozen=True, kw_only=True)
class ReportDone(AssignmentCommand):
    """The unit reports the work finished, optionally with an evidence file."""

    name: ClassVar[CommandName] = CommandName.DONE
    note: str
    evidence: EvidenceFile | None = None


@dataclass(frozen=True, kw_only=True)
class Close(AssignmentCommand):
    """A coordinator verifies the reported completion and closes the assignment."""

    name: ClassVar[CommandName] = CommandName.CLOSE
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class SendBack(AssignmentCommand):
    """A coordinator finds the reported completion insufficient and returns it."""

    name: ClassVar[CommandName] = CommandName.SEND_BACK
    reason: str


@dataclass(frozen=True, kw_only=True)
class Cancel(AssignmentCommand):
    """A coordinator withdraws the assignment."""

    name: ClassVar[CommandName] = CommandName.CANCEL
    reason: str


@dataclass(frozen=True, kw_only=True)
class Reassign(AssignmentCommand):
    """A coordinator moves the assignment to another unit (the wrong commune was named, a
    department took over): the new unit is assigned afresh, the old one is kept in the audit."""

    name: ClassVar[CommandName] = CommandName.REASSIGN
    to_unit: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RequestExtension(AssignmentCommand):
    """The unit asks for the deadline to move to `until`, a later working day."""

    name: ClassVar[CommandName] = CommandName.REQUEST_EXTENSION
    until: NewDeadline
    reason: str


@dataclass(frozen=True, kw_only=True)
class ApproveExtension(AssignmentCommand):
    """A coordinator approves the pending extension request: the deadline moves."""

    name: ClassVar[CommandName] = CommandName.APPROVE_EXTENSION
    note: str = ""
    #: Another deadline than the one asked for (None: the one asked for).
    until: NewDeadline | None = None


@dataclass(frozen=True, kw_only=True)
class RefuseExtension(AssignmentCommand):
    """A coordinator refuses the pending extension request: the deadline stays."""

    name: ClassVar[CommandName] = CommandName.REFUSE_EXTENSION
    reason: str


@dataclass(frozen=True, kw_only=True)
class Assign(Command["AssignmentView"]):
    """Give an existing directive to one more (supporting) unit."""

    name: ClassVar[CommandName] = CommandName.ASSIGN
    directive_code: str
    unit_code: str


@dataclass(frozen=True, kw_only=True)
class Delegate(Command["DelegationView"]):
    """The unit's officer is stood in for by an acting officer, `starts_on`..`ends_on`."""

    name: ClassVar[CommandName] = CommandName.DELEGATE
    unit_code: str
    acting_name: str
    acting_email: str
    starts_on: date
    ends_on: date
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EndDelegation(Command["EndedDelegations"]):
    """End every delegation of the unit's officer in force or still to come."""

    name: ClassVar[CommandName] = CommandName.END_DELEGATION
    unit_code: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class OpenMeeting(Command["OpenedMeeting"]):
    """Create a meeting with its directives and assignments and queue the assignment notices."""

    name: ClassVar[CommandName] = CommandName.OPEN_MEETING
    meeting: MeetingFile = field(repr=False)
    source: str = "cuộc họp"
    #: Where each directive is in the source file ("dòng 12"), for errors; empty if unknown.
    origins: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RequeueNotices(Command["RequeuedNotices"]):
    """Send again notices that were given up on (the mail server was down too long, a
    mailbox was full): these ids, or every one given up on if none is named."""

    name: ClassVar[CommandName] = CommandName.REQUEUE_NOTICES
    notice_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AddAccount(Command["AccountView"]):
    """A person who will sign in to the coordinators' desk, with the unit they work for and
    what they may do there. The password is hashed by the handler and never kept or shown."""

    name: ClassVar[CommandName] = CommandName.ADD_ACCOUNT
    login: str
    person: str
    unit_code: str
    role: str
    password: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class DisableAccount(Command["AccountView"]):
    """The person may no longer sign in (left the office, a password leaked): refused at once."""

    name: ClassVar[CommandName] = CommandName.DISABLE_ACCOUNT
    login: str
    reason: str


#: The commands a coordinator can send a directive's run from its resume form, in the order
#: the form lists them. Each takes the form's unit, percent and note as its fields say.
RESUME_FORM_COMMANDS: tuple[type[AssignmentCommand], ...] = (
    Acknowledge,
    ReportProgress,
    ReportDone,
    Close,
    SendBack,
    ApproveExtension,
    RefuseExtension,
    Reassign,
    Cancel,
)


def from_form(
    name: CommandName,
    target: AssignmentRef,
    *,
    actor: str,
    note: str = "",
    percent: int | None = None,
    to_unit: str = "",
) -> AssignmentCommand:
    """A resume-form command from the form's fields (the same fields for every command:
    the note is the reason where the command needs one). Fields a command does not take are
    ignored; missing ones are refused by its handler in one sentence."""
    kinds = {kind.name: kind for kind in RESUME_FORM_COMMANDS}
    kind = kinds[name]
    values: dict[str, object] = {"target": target, "actor": actor}
    fields = kind.__dataclass_fields__
    if "note" in fields:
        values["note"] = note
    if "reason" in fields:
        values["reason"] = note
    if "percent" in fields:
        values["percent"] = percent
    if "to_unit" in fields:
        values["to_unit"] = to_unit
    return kind(**values)  # type: ignore[arg-type]
