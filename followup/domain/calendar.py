"""Working days (ngày làm việc): weekends, Vietnamese public holidays and official swaps.

`holidays` knows Vietnam's public holidays, Tết included, and the swaps the government
announces (a Saturday worked, a Monday off). A city or province sometimes adds days off, or
a swap is announced after the package was released: those come from our own per-year
adjustment files, parsed here from text so this module stays free of I/O.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import holidays

from followup.domain.errors import ValidationError
from followup.domain.text import nfc


@dataclass(frozen=True)
class CalendarAdjustments:
    """Days a city adds on top of the national calendar."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    names: dict[date, str] = field(default_factory=dict)

    def merge(self, other: CalendarAdjustments) -> CalendarAdjustments:
        return CalendarAdjustments(
            days_off=self.days_off | other.days_off,
            working_days=self.working_days | other.working_days,
            names={**self.names, **other.names},
        )


def parse_adjustments(text: str, *, source: str) -> CalendarAdjustments:
    """Parse one adjustment file.

    Format (TOML)::

        [[day_off]]
        date = 2026-02-23
        name = "Nghỉ bù Tết theo quyết định của UBND tỉnh"

        [[working_day]]
        date = 2026-02-28
        name = "Làm bù cho ngày 23/02"
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"Tệp lịch {source} không đúng định dạng TOML: {exc}.") from exc
    off: set[date] = set()
    work: set[date] = set()
    names: dict[date, str] = {}
    for key, target in (("day_off", off), ("working_day", work)):
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise ValidationError(f"Tệp lịch {source}: '{key}' phải là danh sách [[{key}]].")
        for index, entry in enumerate(entries, start=1):
            day = entry.get("date") if isinstance(entry, dict) else None
            if not isinstance(day, date):
                raise ValidationError(
                    f"Tệp lịch {source}: mục {key} thứ {index} thiếu ngày hợp lệ (YYYY-MM-DD)."
                )
            target.add(day)
            names[day] = str(entry.get("name", ""))
    both = off & work
    if both:
        first = min(both).isoformat()
        raise ValidationError(
            f"Tệp lịch {source}: ngày {first} vừa là ngày nghỉ vừa là ngày làm việc."
        )
    return CalendarAdjustments(frozenset(off), frozenset(work), names)


#: How many answers of each kind a calendar keeps (a few years of dates × common counts).
_MEMO = 20_000


class WorkingCalendar:
    """Answers "is this a working day?" and counts working days for Vietnam."""

    def __init__(self, adjustments: CalendarAdjustments | None = None) -> None:
        self.adjustments = adjustments or CalendarAdjustments()
        self._cache: dict[date, bool] = {}
        # The sweep asks the same few questions for thousands of assignments ("3 working days
        # after the 9th?"): answers are kept, a bounded number of them.
        self._added: dict[tuple[date, int], date] = {}
        self._between: dict[tuple[date, date], int] = {}

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        return holidays.country_holidays("VN", language="vi")

    def is_working_day(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.adjustments.working_days:
            result = True
        elif day in self.adjustments.days_off:
            result = False
        else:
            national = self._national
            in_holidays = day in national  # also loads the year, and its swaps
            swapped_in = day in national.weekend_workdays
            result = not in_holidays and (day.weekday() < 5 or swapped_in)
        self._cache[day] = result
        return result

    def holiday_name(self, day: date) -> str | None:
        if day in self.adjustments.names and day in self.adjustments.days_off:
            return self.adjustments.names[day]
        name = self._national.get(day)
        return str(name) if name else None

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself never counts).

        A negative `count` walks back: the `-count`-th working day before `start`.
        `count == 0` gives `start` if it is a working day, else the next working day.
        """
        found = self._added.get((start, count))
        if found is None:
            found = self._added[(start, count)] = self._add_working_days(start, count)
            if len(self._added) > _MEMO:
                self._added.clear()
        return found

    def _add_working_days(self, start: date, count: int) -> date:
        day = start
        if count == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        step = timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        found = self._between.get((start, end))
        if found is None:
            found = self._between[(start, end)] = sum(
                1
                for offset in range(1, (end - start).days + 1)
                if self.is_working_day(start + timedelta(days=offset))
            )
            if len(self._between) > _MEMO:
                self._between.clear()
        return found


_WORKING_DAYS = re.compile(
    r"^\s*(\d{1,3})\s*(ngày làm việc|ngày lv|working days?|wd)\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline as given at a meeting: a calendar date, or "N working days" from assignment."""

    on: date | None = None
    working_days: int | None = None

    def resolve(self, assigned_on: date, calendar: WorkingCalendar) -> date:
        if self.on is not None:
            return self.on
        if self.working_days is None:
            raise ValueError("a deadline needs a date or a number of working days")
        return calendar.add_working_days(assigned_on, self.working_days)

    def __str__(self) -> str:
        return self.on.isoformat() if self.on else f"{self.working_days} ngày làm việc"


@dataclass(frozen=True)
class WorkingDaysLater:
    """A new deadline given as "+N ngày làm việc": N working days after the current one."""

    days: int


def parse_new_deadline(text: str, *, where: str) -> date | WorkingDaysLater:
    """A later deadline as people type it: a day, or "+N ngày làm việc" (the "+" optional)
    counted from the current deadline."""
    value = nfc(text).strip().removeprefix("+").strip()
    match = _WORKING_DAYS.match(value)
    if match:
        return WorkingDaysLater(int(match.group(1)))
    parsed = parse_day(value)
    if parsed:
        return parsed
    raise ValidationError(
        f"{where}: không hiểu '{text}'; nhập ngày dạng dd/mm/yyyy hoặc '+N ngày làm việc'."
    )


def parse_deadline(text: str | date, *, where: str = "hạn") -> DeadlineSpec:
    """Read '2021-04-30', '30/04/2021' or '5 ngày làm việc' / '5 working days'."""
    if isinstance(text, date):
        return DeadlineSpec(on=text)
    value = text.strip()
    match = _WORKING_DAYS.match(value)
    if match:
        count = int(match.group(1))
        if count < 1:
            raise ValidationError(f"{where}: số ngày làm việc phải lớn hơn 0, nhận '{text}'.")
        return DeadlineSpec(working_days=count)
    parsed = parse_day(value)
    if parsed:
        return DeadlineSpec(on=parsed)
    raise ValidationError(
        f"{where}: không hiểu '{text}'; dùng ngày YYYY-MM-DD, DD/MM/YYYY hoặc 'N ngày làm việc'."
    )


#: The two ways people write a day: 30/04/2021 (dd/mm/yyyy, as in every Vietnamese document)
#: and 2021-04-30 (what a date picker and a spreadsheet export send).
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_day(text: str) -> date | None:
    """A day as people type it: 30/04/2021 (dd/mm/yyyy) or 2021-04-30; None if neither (or
    no such day). The one parser of typed days: files, pages, forms and the CLI use it."""
    match = _DAY.fullmatch(nfc(text).strip())
    if match is None:
        return None
    day, month, year = match.groups()[:3] if match.group(1) else match.groups()[3:][::-1]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
