"""Keeping an assignment's schedule right after every change: what the sweep looks at next."""

from __future__ import annotations

from datetime import date

from followup.db.models import Assignment
from followup.domain.clock import local_date, local_date_or_none
from followup.domain.escalation import AssignmentSnapshot, plan
from followup.domain.states import AssignmentState, check_transition
from followup.services.context import ServiceContext


def snapshot(assignment: Assignment) -> AssignmentSnapshot:
    return AssignmentSnapshot(
        state=AssignmentState(assignment.state),
        assigned_on=local_date(assignment.assigned_at),
        due_on=assignment.due_on,
        acknowledged_on=local_date_or_none(assignment.acknowledged_at),
        last_progress_on=local_date_or_none(assignment.last_progress_at),
        sent_back_on=local_date_or_none(assignment.sent_back_at),
        escalation_step=assignment.escalation_step,
        escalation_level=assignment.escalation_level,
        escalated_on=assignment.escalated_on,
        reminder_sent_for=assignment.reminder_sent_for,
        progress_requested_for=assignment.progress_requested_for,
    )


def reschedule(ctx: ServiceContext, assignment: Assignment, today: date) -> None:
    """Set `next_check_on`: today if something is already due, else the next day it could be."""
    assignment.next_check_on = plan(
        snapshot(assignment), today, ctx.policy, ctx.calendar
    ).next_check_on


def move(assignment: Assignment, target: AssignmentState) -> str:
    """Change state through the transition table; returns the previous state."""
    current = AssignmentState(assignment.state)
    check_transition(current, target, where=f"{assignment.directive.code}/{assignment.unit.code}")
    assignment.state = target.value
    return current.value
