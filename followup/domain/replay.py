"""What the audit trail says about one assignment: the fold of its events into its facts.

The period reports read these facts as they stood at a period's end. The database keeps them
versioned (`db.projection`, one version per event, written in the event's transaction); this
fold is the one definition both the projection and its check against the trail use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from followup.domain.status import AssignmentDates
from followup.domain.vocabulary import AuditAction

#: The events that move an assignment's four-way dates, its unit, its ladder or its last action.
REPLAYED = frozenset(
    {
        AuditAction.ASSIGNED,
        AuditAction.REASSIGNED,
        AuditAction.ACKNOWLEDGED,
        AuditAction.PROGRESS_REPORTED,
        AuditAction.REPORTED_DONE,
        AuditAction.SENT_BACK,
        AuditAction.CLOSED,
        AuditAction.CANCELLED,
        AuditAction.EXTENSION_APPROVED,
        AuditAction.ESCALATED,
    }
)


@dataclass(frozen=True)
class AssignmentFacts:
    """One assignment's facts as the events up to some point tell them (local dates)."""

    directive_id: int
    unit: str
    assigned_on: date
    original_due_on: date
    due_on: date
    extension_approved: bool = False
    completed_on: date | None = None
    closed_on: date | None = None
    cancelled_on: date | None = None
    escalation_level: int = 0
    last_action: str = ""
    last_action_on: date | None = None

    def dates(self) -> AssignmentDates:
        return AssignmentDates(**{name: getattr(self, name) for name in _DATES})


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def apply_event(
    facts: AssignmentFacts | None,
    action: str,
    day: date,
    directive_id: int,
    details: Mapping[str, Any],
) -> AssignmentFacts | None:
    """The facts after one event of the assignment (`day`: the event's local day). None while
    the trail has not told of the assignment's giving (an event of work given before the trail
    began: not counted)."""
    if action not in REPLAYED:
        return facts
    if action == AuditAction.ASSIGNED:
        deadline = _day(details.get("due_on")) or day
        unit = str(details.get("unit") or "")
        facts = AssignmentFacts(directive_id, unit, day, deadline, deadline)
    if facts is None:
        return None
    facts = replace(facts, last_action=action, last_action_on=day)
    if action == AuditAction.REASSIGNED:
        # The new unit takes the work from the start; the deadline stays (as `restart` does).
        return replace(
            facts,
            unit=str(details.get("to_unit") or facts.unit),
            assigned_on=day,
            completed_on=None,
            escalation_level=0,
        )
    if action == AuditAction.REPORTED_DONE:
        return replace(facts, completed_on=day)
    if action == AuditAction.SENT_BACK:
        return replace(facts, completed_on=None)
    if action == AuditAction.CLOSED:
        done = _day(details.get("completed_on")) or facts.completed_on or day
        return replace(facts, closed_on=day, completed_on=done)
    if action == AuditAction.CANCELLED:
        return replace(facts, cancelled_on=day)
    if action == AuditAction.EXTENSION_APPROVED:
        new_due = _day(details.get("new_due_on"))
        return replace(facts, due_on=new_due, extension_approved=True) if new_due else facts
    if action == AuditAction.ESCALATED:
        level = details.get("level")
        if isinstance(level, int) and level:
            return replace(facts, escalation_level=max(facts.escalation_level, level))
    return facts


#: The facts that decide the four-way status (named alike in both).
_DATES = tuple(f.name for f in fields(AssignmentDates))
