"""A meeting file drafted from a conclusion notice's prose, for a coordinator to review.

Rule-based, no model: the notices are written to a few set shapes (numbered and lettered
items, dashes, "Giao…/Yêu cầu…/Đề nghị…/Chỉ đạo…" sentences, semicolon lists), their units
are the organisation's own (matched by name, short name or initials, with or without
diacritics), and their deadlines a handful of phrasings. Every guess is returned with the
reason to check it; `draft_toml` writes them as `# KIỂM TRA:` comments on the lines they
concern, and `meeting load` refuses a file that still carries one.

Why no tokenizer from PyPI: the Vietnamese ones (underthesea, pyvi) segment words for
statistics and bring models or numpy; what a notice needs is its own markers and the unit
names, which regular expressions over the folded text find exactly and in microseconds."""

from followup.services.intake.drafting.draft import draft_meeting
from followup.services.intake.drafting.model import (
    MAX_TEXT,
    REVIEW_MARK,
    Draft,
    DraftDirective,
    DraftSettings,
    KnownUnit,
)
from followup.services.intake.drafting.output import (
    FLAG_FIELDS,
    draft_form_data,
    draft_markdown,
    draft_notice,
    draft_review_list,
    draft_settings,
    draft_text,
    draft_toml,
    form_values,
    known_units,
    review_marks,
    shown_deadline,
)

__all__ = [
    "FLAG_FIELDS",
    "MAX_TEXT",
    "REVIEW_MARK",
    "Draft",
    "DraftDirective",
    "DraftSettings",
    "KnownUnit",
    "draft_form_data",
    "draft_markdown",
    "draft_meeting",
    "draft_notice",
    "draft_review_list",
    "draft_settings",
    "draft_text",
    "draft_toml",
    "form_values",
    "known_units",
    "review_marks",
    "shown_deadline",
]
