"""Assignment states and every allowed transition, as one explicit table.

An assignment is one directive given to one unit. It moves
assigned → acknowledged → in progress → reported done → closed, may be sent back
after a report of completion, and may be cancelled while it is open.
"""

from __future__ import annotations

from enum import StrEnum

from followup.domain.errors import IllegalTransitionError
from followup.domain.labels import Label


class AssignmentState(StrEnum):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    REPORTED_DONE = "reported_done"
    SENT_BACK = "sent_back"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


S = AssignmentState

#: How each state reads (part of the one vocabulary, `domain.vocabulary`).
STATE_LABELS: dict[AssignmentState, Label] = {
    S.ASSIGNED: Label("đã giao", "assigned"),
    S.ACKNOWLEDGED: Label("đã tiếp nhận", "acknowledged"),
    S.IN_PROGRESS: Label("đang thực hiện", "in progress"),
    S.REPORTED_DONE: Label("đã báo cáo hoàn thành", "reported done"),
    S.SENT_BACK: Label("bị trả lại", "sent back"),
    S.CLOSED: Label("đã kết thúc", "closed"),
    S.CANCELLED: Label("đã hủy", "cancelled"),
}

#: Every allowed move. Why each exists:
#: - progress can be reported again and again (in_progress → in_progress);
#: - a unit may report done straight after acknowledging (small tasks);
#: - a coordinator verifies a report of completion: close it or send it back;
#: - a unit that was sent back works on (progress) or reports done again;
#: - a coordinator may cancel any assignment that is not finished.
TRANSITIONS: dict[AssignmentState, frozenset[AssignmentState]] = {
    S.ASSIGNED: frozenset({S.ACKNOWLEDGED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REPORTED_DONE, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.IN_PROGRESS, S.REPORTED_DONE, S.CANCELLED}),
    S.REPORTED_DONE: frozenset({S.CLOSED, S.SENT_BACK, S.CANCELLED}),
    S.SENT_BACK: frozenset({S.IN_PROGRESS, S.REPORTED_DONE, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL_STATES = frozenset({S.CLOSED, S.CANCELLED})
#: The same, as stored (for queries).
TERMINAL_STATE_VALUES = tuple(sorted(s.value for s in TERMINAL_STATES))
#: States in which the unit has acknowledged and owes progress reports.
WORKING_STATES = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.SENT_BACK})


def check_transition(current: AssignmentState, target: AssignmentState, *, where: str = "") -> None:
    """Raise `IllegalTransitionError` naming both states unless the move is in the table."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransitionError(STATE_LABELS[current].vi, STATE_LABELS[target].vi, where=where)


def check_reassignable(current: AssignmentState, *, where: str = "") -> None:
    """A coordinator may move any open assignment to another unit (the wrong commune was
    named, a department took the work over); the new unit starts from `assigned`. Finished
    work stays with the unit that did it (or was cancelled), so the statistics keep it."""
    if current.is_terminal:
        assigned = STATE_LABELS[AssignmentState.ASSIGNED].vi
        raise IllegalTransitionError(STATE_LABELS[current].vi, assigned, where=where)
