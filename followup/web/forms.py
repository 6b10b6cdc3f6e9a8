"""Parsing what a commune officer types into a page. Pure: each function returns a clean
value or raises `ValidationError` with one Vietnamese sentence naming the field."""

from __future__ import annotations

import re
from datetime import date

from followup.domain.calendar import parse_day
from followup.domain.errors import ValidationError
from followup.services.write.change import MAX_NOTE, clean_text

__all__ = ["MAX_NOTE", "parse_date", "parse_percent", "parse_text"]
_PERCENT = re.compile(r"^\s*(\d{1,3})\s*%?\s*$")


def parse_percent(raw: str | None) -> int:
    """'60', ' 60 ', '60%' → 60; anything else, or outside 0–100, is refused."""
    match = _PERCENT.match(raw or "")
    if match is None or not 0 <= int(match.group(1)) <= 100:
        raise ValidationError(
            f"Phần trăm hoàn thành phải là số nguyên từ 0 đến 100 (nhận '{(raw or '')[:20]}')."
        )
    return int(match.group(1))


def parse_text(raw: str | None, *, field: str, required: bool) -> str:
    """The service layer's own rule for free text (`services.write.change.clean_text`)."""
    return clean_text(raw, field=field, required=required)


def parse_date(raw: str | None, *, field: str) -> date:
    """'2021-05-14' (what a date picker sends) or '14/05/2021' (what people type)."""
    value = raw or ""
    if (day := parse_day(value)) is not None:
        return day
    raise ValidationError(
        f"{field.capitalize()} không hợp lệ (nhận '{value[:20]}'); nhập dạng ngày/tháng/năm."
    )
