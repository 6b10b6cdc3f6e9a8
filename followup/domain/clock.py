"""One clock for all of followup, which tests and the demo move forward without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs timezone-aware times")
        self._now = moment


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam at `moment` (deadlines are Vietnamese days)."""
    return moment.astimezone(LOCAL_TZ).date()


def local_date_or_none(moment: datetime | None) -> date | None:
    return local_date(moment) if moment is not None else None


def start_of_local_day(day: date) -> datetime:
    """08:00 in Vietnam on `day`, as UTC: when a simulated day's work begins."""
    return datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL_TZ).astimezone(UTC)
