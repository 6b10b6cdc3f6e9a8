"""Reporting periods as officials name them: a month, a quarter (quý I–IV), a span of days,
or "up to a day". A period's figures are those of its last day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from followup.domain.clock import LOCAL_TZ
from followup.domain.errors import ValidationError

ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Period:
    """Days `start`..`end`, both included; `start` None means "since the beginning"."""

    end: date
    start: date | None = None
    name: str = ""

    @property
    def title(self) -> str:
        """How a report heads the period: "tháng 3/2021", "từ 01/03 đến 15/03/2021"."""
        if self.name:
            return self.name
        if self.start is None:
            return f"đến ngày {self.end:%d/%m/%Y}"
        return f"từ {self.start:%d/%m/%Y} đến {self.end:%d/%m/%Y}"

    @property
    def key(self) -> str:
        """A short machine form for files and JSON: 2021-03, 2021Q2, 2021-03-01..2021-03-15."""
        if self.start is None:
            return f"..{self.end.isoformat()}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def starts_at(self) -> datetime:
        """The period's first instant (local midnight of its first day), in UTC."""
        if self.start is None:
            return datetime.min.replace(tzinfo=UTC)
        return datetime.combine(self.start, time(), LOCAL_TZ).astimezone(UTC)

    def ends_before(self) -> datetime:
        """The first instant after the period (local midnight after its last day), in UTC."""
        return datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)


def month_period(text: str) -> Period:
    """`2021-03` or `3/2021` → March 2021."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*|\s*(\d{1,2})/(\d{4})\s*", text)
    if not found:
        raise ValidationError(f"Tháng '{text}' không hợp lệ; dùng dạng 2021-03 hoặc 3/2021.")
    year, month = (int(found[1]), int(found[2])) if found[1] else (int(found[4]), int(found[3]))
    if not 1 <= month <= 12:
        raise ValidationError(f"Tháng '{text}' không hợp lệ: tháng phải từ 1 đến 12.")
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return Period(end=end, start=start, name=f"tháng {month}/{year}")


def quarter_period(text: str) -> Period:
    """`2021Q2`, `2021-Q2` or `Q2/2021` → the second quarter of 2021 (quý II/2021)."""
    cleaned = text.strip().upper().replace(" ", "")
    found = re.fullmatch(r"(\d{4})-?Q([1-4])|Q([1-4])[/-](\d{4})", cleaned)
    if not found:
        raise ValidationError(f"Quý '{text}' không hợp lệ; dùng dạng 2021Q2 (quý 1 đến 4).")
    year, quarter = (int(found[1]), int(found[2])) if found[1] else (int(found[4]), int(found[3]))
    start = date(year, 3 * quarter - 2, 1)
    end = month_period(f"{year}-{3 * quarter}").end
    return Period(end=end, start=start, name=f"quý {ROMAN[quarter - 1]}/{year}")


def span_period(start: date | None, end: date) -> Period:
    if start is not None and start > end:
        raise ValidationError(f"Ngày bắt đầu {start:%d/%m/%Y} sau ngày kết thúc {end:%d/%m/%Y}.")
    return Period(end=end, start=start)


def choose_period(
    *,
    today: date,
    month: str | None = None,
    quarter: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The one period the options name (a month, a quarter, a span, or up to a day; today when
    none). Two ways of naming it at once are refused rather than one silently winning."""
    named = [
        option
        for option, given in (
            ("--month", month),
            ("--quarter", quarter),
            ("--from/--to/--as-of", start or end),
        )
        if given
    ]
    if len(named) > 1:
        raise ValidationError(
            f"Chỉ chọn một cách nêu kỳ báo cáo, không dùng cùng lúc {' và '.join(named)}."
        )
    if month:
        period = month_period(month)
    elif quarter:
        period = quarter_period(quarter)
    else:
        period = span_period(start, end or today)
    if period.start is not None and period.start > today:
        raise ValidationError(
            f"Kỳ báo cáo {period.title} chưa bắt đầu (hôm nay là {today:%d/%m/%Y})."
        )
    return period
