"""What a period report holds: its views (by unit, meeting, lead unit or field), the overdue
list, and the mark of the audit chain it was computed from (`period_report` computes it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from followup.domain.periods import Period
from followup.services.reporting.reports import UnitStatus


class Dimension(StrEnum):
    UNIT = "unit"
    MEETING = "meeting"
    LEAD = "lead"
    FIELD = "field"


#: What each view counts and how its first column is headed.
DIMENSION_TITLES = {
    Dimension.UNIT: ("Đơn vị", "phần việc của từng đơn vị"),
    Dimension.MEETING: ("Cuộc họp", "nhiệm vụ"),
    Dimension.LEAD: ("Đơn vị chủ trì", "nhiệm vụ"),
    Dimension.FIELD: ("Lĩnh vực", "nhiệm vụ"),
}


NO_FIELD = "(chưa ghi lĩnh vực)"


@dataclass(frozen=True)
class ChainMark:
    """The last audit event a report read, and the chain's hash there (seq 0: empty)."""

    seq: int
    hash: str

    @property
    def short(self) -> str:
        return self.hash[:16]


@dataclass(frozen=True)
class PeriodOverdue:
    """One unit's work overdue at the period's end."""

    directive_code: str
    title: str
    unit_code: str
    unit_name: str
    original_due_on: date
    #: The extended deadline, when an extension was approved (None otherwise).
    extended_due_on: date | None
    days_late: int
    working_days_late: int
    escalation_level: int
    last_action: str
    last_action_on: date | None

    @property
    def due_on(self) -> date:
        return self.extended_due_on or self.original_due_on


@dataclass
class PeriodReport:
    period: Period
    #: The day the figures are of: the period's last day, or today for a period not yet over.
    as_of: date
    chain: ChainMark
    views: dict[Dimension, list[UnitStatus]] = field(default_factory=dict)
    overdue: list[PeriodOverdue] = field(default_factory=list)
    #: Events read to build it (progress bars and benchmarks).
    events_read: int = 0
