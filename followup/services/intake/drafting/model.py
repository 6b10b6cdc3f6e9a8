"""What a draft is made of: the units it knows, its directives, its settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

REVIEW_MARK = "# KIỂM TRA:"
#: The longest directive text a meeting file takes (`meeting_files.LongText`).
MAX_TEXT = 20000


@dataclass(frozen=True)
class KnownUnit:
    code: str
    name: str
    kind: str  # commune | department | leadership


@dataclass
class DraftDirective:
    code: str
    title: str
    text: str
    field: str
    lead: str
    support: list[str]
    deadline: str
    #: "" (once), "month", "quarter" or "year" (`meeting_files.REPEAT_LABELS`).
    repeat: str
    #: The source line the directive starts on (1-based).
    line: int
    #: What to check, by field of the draft ("lead", "support", "deadline", "text", …).
    flags: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The lead the text names that is not among our units (`lead` then holds the
    #: coordinating office, for a file; the review form leaves the choice to the reviewer).
    unknown_lead: str = ""


@dataclass
class Draft:
    code: str
    title: str
    held_on: date
    chair: str
    notice_number: str
    source_text: str
    directives: list[DraftDirective]
    flags: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class DraftSettings:
    #: The deadline when the text gives none ("YYYY-MM-DD" or "N ngày làm việc").
    default_deadline: str = "30 ngày làm việc"
    #: "Trước mùa mưa bão": the day the flood season is taken to begin (month, day).
    flood_season: tuple[int, int] = (5, 31)
    #: Who a directive naming no unit goes to until the reviewer says (the city office).
    fallback_unit: str | None = None
