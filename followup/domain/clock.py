"""One clock for all of followup, which tests and the demo move forward without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
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


class FileClock:
    """A clock read from a file holding one ISO timestamp: the demo moves it, and every
    process it starts (flow runs included) sees the same simulated time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        moment = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if moment.tzinfo is None:
            raise ValueError(f"{self.path} holds a time without a time zone")
        return moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FileClock needs timezone-aware times")
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(moment.isoformat(), encoding="utf-8")
        tmp.replace(self.path)  # readers never see a half-written time

    def advance(self, delta: timedelta) -> datetime:
        moment = self.now() + delta
        self.set(moment)
        return moment


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam at `moment` (deadlines are Vietnamese days)."""
    return moment.astimezone(LOCAL_TZ).date()


def local_date_or_none(moment: datetime | None) -> date | None:
    return local_date(moment) if moment is not None else None


def start_of_local_day(day: date) -> datetime:
    """08:00 in Vietnam on `day`, as UTC: when a simulated day's work begins."""
    return datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL_TZ).astimezone(UTC)
