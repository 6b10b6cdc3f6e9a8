"""The four steps of a directive's life, per assigned unit (the design card's lifecycle):
assignment → acknowledgement → progress checks → closure.

A directive's Prefect run has one task per step; each step owns the notices that belong to
it (`notifications.steps`), so the run's task list shows which step sent what.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from followup.domain.labels import Label


class LifecycleStep(StrEnum):
    ASSIGNMENT = "assignment"
    ACKNOWLEDGEMENT = "acknowledgement"
    PROGRESS = "progress"
    CLOSURE = "closure"


STEP_LABELS: dict[LifecycleStep, Label] = {
    LifecycleStep.ASSIGNMENT: Label("Giao việc", "Assignment"),
    LifecycleStep.ACKNOWLEDGEMENT: Label("Tiếp nhận", "Acknowledgement"),
    LifecycleStep.PROGRESS: Label("Kiểm tra tiến độ", "Progress check"),
    LifecycleStep.CLOSURE: Label("Kết thúc", "Closure"),
}


def plain_letters(text: str) -> str:
    """`text` without diacritics ("Kiểm tra tiến độ" → "Kiem tra tien do"), for the one place
    that cannot draw them: the Prefect run graph draws names with an ASCII-only bitmap font
    and drops every other letter. Everywhere else keeps the full Vietnamese."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isascii() else "?" for c in kept)
