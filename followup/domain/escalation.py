"""What is due for one assignment on a given day: reminders, progress requests, escalations.

A *step* stalls when the unit owes something past its date: an acknowledgement, a progress
report, or the work itself (the deadline). A stalled step climbs the ladder one level at a
time: level 1 the day it stalls, each next level a few working days after the one before.
A new step (say the deadline passes after the acknowledgement stalled) starts at level 1.
Nothing fires on a day the offices are closed; it waits for the next working day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from followup.domain.calendar import WorkingCalendar
from followup.domain.policy import EscalationPolicy
from followup.domain.states import WORKING_STATES, AssignmentState


class StepKind(StrEnum):
    ACKNOWLEDGEMENT = "ack"
    PROGRESS = "progress"
    DEADLINE = "deadline"


class DueKind(StrEnum):
    REMINDER = "reminder"  # the deadline is near
    PROGRESS_REQUEST = "progress_request"  # a progress report is due now
    ESCALATION = "escalation"  # a step stalled: next ladder level


@dataclass(frozen=True)
class AssignmentSnapshot:
    """What the rules need to know of an assignment; dates are local (Asia/Ho_Chi_Minh)."""

    state: AssignmentState
    assigned_on: date
    due_on: date
    acknowledged_on: date | None = None
    last_progress_on: date | None = None
    sent_back_on: date | None = None
    escalation_step: str | None = None
    escalation_level: int = 0
    escalated_on: date | None = None
    reminder_sent_for: date | None = None
    progress_requested_for: date | None = None


@dataclass(frozen=True)
class DueAction:
    kind: DueKind
    #: The date the action is about: the deadline, the progress report's due date...
    about: date
    step: str | None = None
    step_kind: StepKind | None = None
    level: int | None = None

    @property
    def key(self) -> str:
        """Stable identity of this action for one assignment (part of the notice dedupe key)."""
        if self.kind is DueKind.ESCALATION:
            return f"escalation:{self.step}:L{self.level}"
        return f"{self.kind.value}:{self.about.isoformat()}"


@dataclass(frozen=True)
class Plan:
    actions: tuple[DueAction, ...]
    #: Next day anything could become due; `None` when nothing ever will (finished work).
    next_check_on: date | None


def _stalled_step(
    snap: AssignmentSnapshot,
    today: date,
    policy: EscalationPolicy,
    cal: WorkingCalendar,
    progress_due: date | None,
    upcoming: list[date],
) -> tuple[StepKind, date] | None:
    """The step the unit has let stall as of `today` (the deadline, else its
    acknowledgement, else its progress report), with the day it was due; or None, noting in
    `upcoming` the day after which each step would stall."""
    day_after = timedelta(days=1)
    if today > snap.due_on:
        return (StepKind.DEADLINE, snap.due_on)
    upcoming.append(snap.due_on + day_after)
    if snap.state is AssignmentState.ASSIGNED:
        ack_due = cal.add_working_days(snap.assigned_on, policy.ack_within_days)
        if today > ack_due:
            return (StepKind.ACKNOWLEDGEMENT, ack_due)
        upcoming.append(ack_due + day_after)
    elif progress_due is not None:
        stalls_after = cal.add_working_days(progress_due, policy.progress_grace_days)
        if today > stalls_after:
            return (StepKind.PROGRESS, progress_due)
        upcoming.append(stalls_after + day_after)
    return None


def _escalate(
    snap: AssignmentSnapshot,
    today: date,
    policy: EscalationPolicy,
    cal: WorkingCalendar,
    step: tuple[StepKind, date],
    actions: list[DueAction],
    upcoming: list[date],
) -> None:
    """A newly stalled step starts the ladder at level 1; the same step climbs one level
    once the next level's delay has passed since the last escalation."""
    kind, about = step
    step_key = f"{kind.value}:{about.isoformat()}"
    if snap.escalation_step != step_key:
        actions.append(DueAction(DueKind.ESCALATION, about, step_key, kind, 1))
    elif snap.escalation_level < policy.top_level and snap.escalated_on is not None:
        nxt = policy.level(snap.escalation_level + 1)
        next_on = cal.add_working_days(snap.escalated_on, nxt.after_working_days)
        if today >= next_on:
            actions.append(DueAction(DueKind.ESCALATION, about, step_key, kind, nxt.level))
        else:
            upcoming.append(next_on)


def _progress_due(snap: AssignmentSnapshot, policy: EscalationPolicy, cal: WorkingCalendar) -> date:
    base = max(
        d
        for d in (snap.acknowledged_on, snap.last_progress_on, snap.sent_back_on, snap.assigned_on)
        if d is not None
    )
    return cal.add_working_days(base, policy.progress_every_days)


def plan(
    snap: AssignmentSnapshot, today: date, policy: EscalationPolicy, cal: WorkingCalendar
) -> Plan:
    """Everything due on `today` for this assignment, and when to look again."""
    # Waiting on the coordinator (reported done) or finished: nothing to chase the unit for.
    if snap.state.is_terminal or snap.state is AssignmentState.REPORTED_DONE:
        return Plan((), None)
    # Offices are closed: nobody is reminded or escalated on a weekend or a holiday.
    if not cal.is_working_day(today):
        return Plan((), cal.add_working_days(today, 0))

    actions: list[DueAction] = []
    upcoming: list[date] = []
    progress_due = _progress_due(snap, policy, cal) if snap.state in WORKING_STATES else None
    step = _stalled_step(snap, today, policy, cal, progress_due, upcoming)
    if step is not None:
        _escalate(snap, today, policy, cal, step, actions, upcoming)

    if today <= snap.due_on and snap.reminder_sent_for != snap.due_on:
        remind_on = cal.add_working_days(snap.due_on, -policy.reminder_before_days)
        if remind_on > snap.assigned_on:  # the assignment notice itself names the deadline
            if today >= remind_on:
                actions.append(DueAction(DueKind.REMINDER, snap.due_on))
            else:
                upcoming.append(remind_on)

    if (
        progress_due is not None
        and progress_due <= snap.due_on
        and snap.progress_requested_for != progress_due
    ):
        if today >= progress_due:
            actions.append(DueAction(DueKind.PROGRESS_REQUEST, progress_due))
        else:
            upcoming.append(progress_due)

    if actions:
        return Plan(tuple(actions), today)
    return Plan((), cal.add_working_days(min(upcoming), 0) if upcoming else None)


def after(snap: AssignmentSnapshot, action: DueAction, today: date) -> AssignmentSnapshot:
    """The snapshot once `action` has been carried out on `today`."""
    if action.kind is DueKind.ESCALATION:
        return replace(
            snap,
            escalation_step=action.step,
            escalation_level=action.level or 1,
            escalated_on=today,
        )
    if action.kind is DueKind.REMINDER:
        return replace(snap, reminder_sent_for=action.about)
    return replace(snap, progress_requested_for=action.about)
