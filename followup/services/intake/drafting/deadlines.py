"""Deadlines and repetitions as notices phrase them (“trước ngày 30/4/2021”, “trong quý II”,
“trước mùa mưa bão”, “hằng tháng”)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from followup.services.intake.drafting.model import DraftSettings

# ----------------------------------------------------------------------------- deadlines

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_of(year: str | None, month: int, held_on: date) -> int:
    if year:
        return int(year) + (2000 if len(year) == 2 else 0)
    # No year: this year, or next if that month is already past at the meeting.
    return held_on.year + (1 if month < held_on.month else 0)


_REPEATS = (
    (r"\b(?:hang|moi|dinh ky hang|dinh ky moi)\s+thang\b", "month"),
    (r"\b(?:hang|moi|dinh ky hang|dinh ky moi)\s+quy\b", "quarter"),
    (r"\b(?:hang|moi|dinh ky hang)\s+nam\b|\btruoc moi mua mua (?:bao|lu)\b", "year"),
)


def find_repeat(folded: str) -> str:
    for pattern, every in _REPEATS:
        if re.search(pattern, folded):
            return every
    return ""


def _monthly_day(folded: str, held_on: date) -> date | None:
    """ "Trước ngày 25 hằng tháng": the next 25th from the meeting."""
    match = re.search(r"(?:truoc|cham nhat|vao)\s+ngay\s+(\d{1,2})\s+(?:hang|moi)\s+thang", folded)
    if not match or not 1 <= int(match.group(1)) <= 31:
        return None
    day = int(match.group(1))
    for months in (0, 1):
        month0 = held_on.month - 1 + months
        year, month = held_on.year + month0 // 12, month0 % 12 + 1
        found = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if found >= held_on:
            return found
    return None  # pragma: no cover - the next month always qualifies


def find_deadline(
    folded: str, held_on: date, settings: DraftSettings
) -> tuple[str | None, str | None]:
    """(deadline, the reason to check it) read from a directive's folded text; (None, None)
    when it names none."""
    lead = r"(?:truoc|cham nhat(?: (?:la|vao))?|han|den|hoan thanh|xong)\s*(?:ngay\s*)?"
    match: re.Match[str] | None
    monthly = _monthly_day(folded, held_on)
    if monthly is not None:
        return monthly.isoformat(), "“hằng tháng”: kỳ đầu là ngày này, các kỳ sau cùng ngày"
    for numeric in re.finditer(
        lead + r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?", folded
    ):
        day, month, year = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
        try:
            found = date(_year_of(year, month, held_on), month, day)
        except ValueError:
            continue
        return found.isoformat(), None if year else "năm do máy suy ra"
    match = re.search(lead + r"(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?", folded)
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        try:
            return date(_year_of(year, month, held_on), month, day).isoformat(), (
                None if year else "năm do máy suy ra"
            )
        except ValueError:
            pass
    match = re.search(r"\btrong thang (\d{1,2})(?:\s*[/.-]\s*|\s+nam\s+)?(\d{4})?", folded)
    if match and 1 <= int(match.group(1)) <= 12:
        month = int(match.group(1))
        last = _month_end(_year_of(match.group(2), month, held_on), month)
        return last.isoformat(), "“trong tháng”: lấy ngày cuối tháng"
    match = re.search(
        r"\b(?:trong\s+)?quy\s+(iv|iii|ii|i|[1-4])\b(?:\s*[/.-]?\s*(?:nam\s+)?(\d{4}))?", folded
    )
    if match:
        quarter = _ROMAN[match.group(1)]
        year = int(match.group(2)) if match.group(2) else held_on.year
        return _month_end(year, quarter * 3).isoformat(), "“trong quý”: lấy ngày cuối quý"
    if re.search(r"mua mua (bao|lu)", folded):
        month, day = settings.flood_season
        start = date(held_on.year, month, day)
        if start < held_on:
            start = date(held_on.year + 1, month, day)
        return start.isoformat(), "“mùa mưa bão”: ngày đặt trong cấu hình, xem lại"
    match = re.search(r"\b(?:trong|hoan thanh trong|cuoi)\s+nam\s+(\d{4})", folded)
    if match:
        return date(int(match.group(1)), 12, 31).isoformat(), "“trong năm”: lấy 31/12"
    match = re.search(r"\btrong\s+(\d{1,3})\s+ngay(\s+lam viec)?", folded)
    if match and int(match.group(1)) > 0:
        if match.group(2):
            return f"{int(match.group(1))} ngày làm việc", None
        return (held_on + timedelta(days=int(match.group(1)))).isoformat(), None
    if re.search(r"\bthuong xuyen\b", folded):
        return None, "nhiệm vụ thường xuyên, không có hạn: đặt một hạn kiểm tra"
    return None, None
