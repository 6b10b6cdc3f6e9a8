"""The calendar of a repeating directive: every month, quarter or year, its deadline on the
same day of each period (or the period's last day), opened when its period begins."""

from __future__ import annotations

import calendar
from datetime import date

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _add_months(day: date, months: int, wanted_day: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(wanted_day, calendar.monthrange(year, month)[1]))


def next_due(due: date, every: str, day: int) -> date:
    """The deadline one period after `due`, on `day` of its month (or the month's last)."""
    return _add_months(due, MONTHS[every], day)


def opens_on(due: date, every: str) -> date:
    """The first day of the period `due` falls in: when its occurrence is opened."""
    if every == "month":
        return due.replace(day=1)
    if every == "quarter":
        return date(due.year, (due.month - 1) // 3 * 3 + 1, 1)
    return date(due.year, 1, 1)


def period_key(due: date, every: str) -> str:
    if every == "month":
        return f"{due:%Y-%m}"
    if every == "quarter":
        return f"{due.year}Q{(due.month - 1) // 3 + 1}"
    return f"{due.year}"
