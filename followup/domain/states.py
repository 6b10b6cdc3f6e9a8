"""Assignment states and every allowed transition, as one explicit table.

An assignment is one directive given to one unit. It moves
assigned → acknowledged → in progress → reported done → closed, may be sent back
after a report of completion, and may be cancelled while it is open.
"""

from __future__ import annotations

from enum import StrEnum

from followup.domain.errors import IllegalTransitionError


class AssignmentState(StrEnum):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    REPORTED_DONE = "reported_done"
    SENT_BACK = "sent_back"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


_LABELS_VI = {
    AssignmentState.ASSIGNED: "đã giao",
    AssignmentState.ACKNOWLEDGED: "đã tiếp nhận",
    AssignmentState.IN_PROGRESS: "đang thực hiện",
    AssignmentState.REPORTED_DONE: "đã báo cáo hoàn thành",
    AssignmentState.SENT_BACK: "bị trả lại",
    AssignmentState.CLOSED: "đã kết thúc",
    AssignmentState.CANCELLED: "đã hủy",
}

S = AssignmentState

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
        raise IllegalTransitionError(current.label_vi, target.label_vi, where=where)


def check_reassignable(current: AssignmentState, *, where: str = "") -> None:
    """A coordinator may move any open assignment to another unit (the wrong commune was
    named, a department took the work over); the new unit starts from `assigned`. Finished
    work stays with the unit that did it (or was cancelled), so the statistics keep it."""
    if current.is_terminal:
        raise IllegalTransitionError(
            current.label_vi, AssignmentState.ASSIGNED.label_vi, where=where
        )
