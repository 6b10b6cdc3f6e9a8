"""The four-way status officials report: done on time, done late, open within deadline, overdue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class FourWay(StrEnum):
    DONE_ON_TIME = "done_on_time"  # hoàn thành đúng hạn
    DONE_LATE = "done_late"  # hoàn thành quá hạn
    OPEN_ON_TIME = "open_on_time"  # đang thực hiện trong hạn
    OVERDUE = "overdue"  # quá hạn


@dataclass(frozen=True)
class AssignmentDates:
    """The dates that decide an assignment's four-way status (local dates)."""

    assigned_on: date
    original_due_on: date
    due_on: date
    extension_approved: bool = False
    completed_on: date | None = None  # when the unit reported the accepted completion
    closed_on: date | None = None  # when the coordinator verified it
    cancelled_on: date | None = None

    @property
    def deadline(self) -> date:
        """The original deadline unless an extension was approved."""
        return self.due_on if self.extension_approved else self.original_due_on


def assignment_status(dates: AssignmentDates, as_of: date) -> FourWay | None:
    """Status as of a day; `None` when the assignment does not count (not yet given, cancelled)."""
    if dates.assigned_on > as_of:
        return None
    if dates.cancelled_on is not None and dates.cancelled_on <= as_of:
        return None
    if dates.closed_on is not None and dates.closed_on <= as_of:
        done_on = dates.completed_on or dates.closed_on
        return FourWay.DONE_ON_TIME if done_on <= dates.deadline else FourWay.DONE_LATE
    return FourWay.OVERDUE if as_of > dates.deadline else FourWay.OPEN_ON_TIME


def combined_status(statuses: Iterable[FourWay | None]) -> FourWay | None:
    """A directive's status from its assignments': done only when every unit is done."""
    counted = [s for s in statuses if s is not None]
    if not counted:
        return None
    if all(s in (FourWay.DONE_ON_TIME, FourWay.DONE_LATE) for s in counted):
        return FourWay.DONE_LATE if FourWay.DONE_LATE in counted else FourWay.DONE_ON_TIME
    return FourWay.OVERDUE if FourWay.OVERDUE in counted else FourWay.OPEN_ON_TIME
