"""A draft as people review it: the TOML file with its `# KIỂM TRA:` marks, the open-meeting
form's data, the review list and the Markdown table; and drafting a notice file against the
organisation's units."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from sqlalchemy import select
from tomlkit.items import Table

from followup.config import Settings
from followup.db.models import Unit
from followup.domain.errors import ValidationError
from followup.domain.text import shorten
from followup.services.context import ServiceContext
from followup.services.intake.drafting.draft import draft_meeting
from followup.services.intake.drafting.model import (
    REVIEW_MARK,
    Draft,
    DraftDirective,
    DraftSettings,
    KnownUnit,
)
from followup.services.intake.meeting_files import (
    ONCE,
    PRIORITY_LABELS,
    REPEAT_LABELS,
    DirectiveInput,
    MeetingInput,
    unit_choice,
)
from followup.services.intake.notice_text import read_notice

# ----------------------------------------------------------------------------- the file


def shown_deadline(deadline: str) -> str:
    """A drafted deadline as people write it: 31/05/2021 (or "30 ngày làm việc")."""
    try:
        return f"{date.fromisoformat(deadline):%d/%m/%Y}"
    except ValueError:
        return deadline


def _one_line(comment: str) -> str:
    """A comment quotes the notice (a number, a name): a control character it carries (an
    escape, a line break) becomes a space, since a TOML comment cannot hold one."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in comment)


def draft_toml(draft: Draft, units: Sequence[KnownUnit], *, source: str) -> str:
    """The draft as a meeting file: each guess marked on its line with `# KIỂM TRA:`."""
    names = {u.code: u.name for u in units}

    def unit(code: str) -> str:
        return f"{names[code]} ({code})" if code in names else code

    def put(table: Table, key: str, value: object, flag: str | None = None) -> None:
        table.add(key, value)
        if flag:
            table[key].comment(_one_line(f"{REVIEW_MARK.removeprefix('# ')} {flag}"))

    doc = tomlkit.document()
    doc.add(
        tomlkit.comment(
            _one_line(f"BẢN NHÁP soạn tự động từ {source}: {len(draft.directives)} nhiệm vụ.")
        )
    )
    doc.add(tomlkit.comment("Đọc lại từng nhiệm vụ với thông báo gốc. Dòng nào máy đoán có dấu"))
    doc.add(tomlkit.comment("KIỂM TRA ở cuối: sửa nếu cần rồi xoá dấu đó. 'followup meeting load'"))
    doc.add(tomlkit.comment("không nhận tệp còn dấu nào, nên chưa có gì được gửi đi."))
    doc.add(tomlkit.nl())
    meeting = tomlkit.table()
    put(meeting, "code", draft.code)
    put(meeting, "title", draft.title, draft.flags.get("title"))
    put(meeting, "held_on", draft.held_on, draft.flags.get("held_on"))
    put(meeting, "chair", draft.chair)
    put(meeting, "notice_number", draft.notice_number)
    put(meeting, "source_text", draft.source_text)
    for key in ("directives", "skipped"):
        if key in draft.flags:
            meeting.add(
                tomlkit.comment(_one_line(f"{REVIEW_MARK.removeprefix('# ')} {draft.flags[key]}"))
            )
    meeting.add(tomlkit.nl())
    doc.add("meeting", meeting)
    directives = tomlkit.aot()
    for d in draft.directives:
        item = tomlkit.table()
        item.add(tomlkit.comment(f"Dòng {d.line} của thông báo."))
        put(item, "code", d.code)
        put(item, "title", d.title)
        put(item, "text", d.text, d.flags.get("text"))
        put(item, "field", d.field)
        put(item, "lead", unit(d.lead), d.flags.get("lead"))
        put(item, "support", [unit(c) for c in d.support], d.flags.get("support"))
        put(item, "deadline", shown_deadline(d.deadline), d.flags.get("deadline"))
        if d.repeat:
            put(item, "repeat", REPEAT_LABELS[d.repeat], d.flags.get("repeat"))
        directives.append(item)
    if draft.directives:
        doc.add("directives", directives)
    return tomlkit.dumps(doc)


def review_marks(text: str) -> list[int]:
    """The lines (1-based) of a meeting file still carrying a review mark."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if REVIEW_MARK in line]


def draft_settings(settings: Settings) -> DraftSettings:
    day, month = (int(x) for x in settings.flood_season_starts.strip().split("/"))
    return DraftSettings(
        default_deadline=settings.draft_default_deadline,
        flood_season=(month, day),
        fallback_unit=settings.coordinator_unit,
    )


def draft_text(
    ctx: ServiceContext,
    text: str,
    settings: DraftSettings,
    *,
    code: str | None = None,
    held_on: date | None = None,
    title: str = "",
) -> tuple[Draft, list[KnownUnit]]:
    """The draft of a notice's text against the organisation's units (and those units)."""
    units = known_units(ctx)
    if not units:
        raise ValidationError(
            "Chưa có đơn vị nào: nạp danh sách đơn vị trước ('followup units load')."
        )
    fallback = settings.fallback_unit or next(
        (u.code for u in units if u.kind == "leadership"), units[0].code
    )
    draft = draft_meeting(
        text,
        units,
        code=code or "",
        held_on=held_on,
        title=title,
        fallback_unit=fallback,
        settings=settings,
        today=ctx.today(),
    )
    return draft, units


def draft_notice(
    ctx: ServiceContext,
    path: Path,
    settings: DraftSettings,
    *,
    code: str | None = None,
    held_on: date | None = None,
    title: str = "",
) -> tuple[Draft, str]:
    """The draft of a notice file against the organisation's units, and its TOML text."""
    draft, units = draft_text(
        ctx, read_notice(path), settings, code=code, held_on=held_on, title=title
    )
    return draft, draft_toml(draft, units, source=path.name)


def draft_form_data(draft: Draft, units: Sequence[KnownUnit]) -> dict[str, Any]:
    """The draft as the open-meeting form's values (units as "name (code)", labels for the
    priority and the repetition), for a coordinator to review in the Prefect UI."""
    unit = _unit_choices(units)
    directives = []
    for d in draft.directives:
        values = _directive_values(
            d, unit, PRIORITY_LABELS["normal"], shown_deadline(d.deadline), until=""
        )
        if d.unknown_lead:
            # The text names a lead we do not have: the reviewer chooses it, the form does
            # not offer the coordinating office a careless Submit would assign the work to.
            values["lead"] = ""
        directives.append(values)
    return {"meeting": _meeting_values(draft), "directives": directives}


def _unit_choices(units: Sequence[KnownUnit]) -> Callable[[str], str]:
    names = {u.code: u.name for u in units}
    return lambda code: unit_choice(code, names[code]) if code in names else code


def _meeting_values(meeting: Draft | MeetingInput) -> dict[str, Any]:
    return {
        "code": meeting.code,
        "title": meeting.title,
        "held_on": f"{meeting.held_on:%d/%m/%Y}",
        "chair": meeting.chair,
        "notice_number": meeting.notice_number,
        "source_text": meeting.source_text,
    }


def _directive_values(
    d: DraftDirective | DirectiveInput,
    unit: Callable[[str], str],
    priority: str,
    deadline: str,
    *,
    until: str,
) -> dict[str, Any]:
    return {
        "code": d.code,
        "title": d.title,
        "text": d.text,
        "field": d.field,
        "priority": priority,
        "lead": unit(d.lead),
        "support": [unit(c) for c in d.support],
        "deadline": deadline,
        "repeat": REPEAT_LABELS.get(d.repeat, ONCE),
        "repeat_until": until,
    }


def known_units(ctx: ServiceContext) -> list[KnownUnit]:
    with ctx.session_factory() as session:
        rows = session.execute(select(Unit.code, Unit.name, Unit.kind).order_by(Unit.id))
        return [KnownUnit(c, n, k) for c, n, k in rows]


def form_values(
    meeting: MeetingInput, directives: Sequence[DirectiveInput], units: Sequence[KnownUnit]
) -> dict[str, Any]:
    """A meeting as it was sent, as the open-meeting form's values again (the words the form
    offers: "name (code)" for a known unit, the priority's and repetition's labels, dates as
    dd/mm/yyyy), so a form sent back for correction shows what the coordinator typed."""
    unit = _unit_choices(units)
    return {
        "meeting": _meeting_values(meeting),
        "directives": [
            _directive_values(
                d,
                unit,
                PRIORITY_LABELS.get(d.priority, d.priority),
                d.deadline,
                until=f"{d.repeat_until:%d/%m/%Y}" if d.repeat_until else "",
            )
            for d in directives
        ],
    }


#: What the review table calls each field a guess was made about.
FLAG_FIELDS = {
    "lead": "chủ trì",
    "support": "phối hợp",
    "units": "đơn vị ngoài danh sách",
    "deadline": "hạn",
    "repeat": "lặp lại",
    "text": "nội dung",
    "title": "tên cuộc họp",
    "held_on": "ngày họp",
    "directives": "nhiệm vụ",
    "skipped": "câu bị bỏ qua",
}


#: How much of a directive's text the review shows (the whole text is in the form below it).
SHOWN_TEXT = 160


def _checks(flags: dict[str, str]) -> str:
    """What to check about a directive, as the review reads it ("hạn: …; chủ trì: …")."""
    return "; ".join(f"{FLAG_FIELDS.get(k, k)}: {v}" for k, v in flags.items())


def _sentence(text: str) -> str:
    """`text` ending with one full stop, or with the "…" of a cut text."""
    return text if text.endswith("…") else text.rstrip(".") + "."


def draft_review_list(draft: Draft, units: Sequence[KnownUnit]) -> str:
    """The review as a list (the resume form renders lists, not tables): each directive with
    its units and deadline, and what to check, marked ⚠."""
    names = {u.code: u.name for u in units}
    lines = [
        f"**Bản nháp {draft.code}: {len(draft.directives)} nhiệm vụ** do máy soạn từ thông báo "
        "kết luận. Xem lại từng nhiệm vụ (nhất là chỗ có ⚠ Cần kiểm tra), sửa trong biểu mẫu "
        "rồi bấm gửi: chỉ khi đó cuộc họp mới được mở và thông báo mới được gửi.",
        "",
    ]
    for d in draft.directives:
        support = ", ".join(names.get(c, c) for c in d.support) or "không"
        checks = _checks(d.flags)
        # Each item ends with a full stop and a blank line: Prefect's renderer otherwise runs
        # the items together.
        lines += [
            f"- **{d.code}** {_sentence(shorten(d.text, SHOWN_TEXT))} "
            f"Chủ trì: {_lead_shown(d, names)}; "
            f"phối hợp: {support}; hạn: {shown_deadline(d.deadline)}."
            + (f" ⚠ Cần kiểm tra: {checks}." if checks else ""),
            "",
        ]
    for key, why in draft.flags.items():
        lines += [f"- ⚠ Cần kiểm tra {FLAG_FIELDS.get(key, key)}: {why}.", ""]
    return "\n".join(lines)


#: How much of a directive's text and of a unit's name the review table shows: the table
#: fits a 1400 px screen (Prefect draws tables without wrapping), the rest is in the list.
TABLE_TEXT = 40
TABLE_NAME = 32


def _lead_shown(d: DraftDirective, names: dict[str, str]) -> str:
    """The lead as the review names it: a unit the text names that we do not have is left
    for the reviewer to choose, said so."""
    if d.unknown_lead:
        return f"chưa chọn ({d.unknown_lead} không có trong danh sách)"
    return names.get(d.lead, d.lead)


def draft_markdown(draft: Draft, units: Sequence[KnownUnit]) -> str:
    """The review table (code, text, lead, deadline, how many things to check), then each
    directive's supporting units and what to check, as a list below it."""
    names = {u.code: u.name for u in units}

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"# Bản nháp {cell(draft.code)}: {len(draft.directives)} nhiệm vụ",
        "",
        "Máy soạn từ thông báo kết luận. Xem lại từng dòng (nhất là những dòng có ⚠, giải "
        "thích ở mục **Cần kiểm tra** bên dưới), sửa trong biểu mẫu rồi bấm gửi: chỉ khi đó "
        "cuộc họp mới được mở và thông báo mới được gửi.",
        "",
        "| Mã | Nội dung | Chủ trì | Hạn | Kiểm tra |",
        "|---|---|---|---|---|",
    ]
    details = []
    for d in draft.directives:
        lead = "⚠ chưa chọn" if d.unknown_lead else shorten(names.get(d.lead, d.lead), TABLE_NAME)
        marked = f"⚠ {len(d.flags)}" if d.flags else "—"
        lines.append(
            f"| {cell(d.code)} | {cell(shorten(d.text, TABLE_TEXT))} | {cell(lead)} | "
            f"{cell(shown_deadline(d.deadline))} | {marked} |"
        )
        support = ", ".join(names.get(c, c) for c in d.support) or "không"
        checks = _checks(d.flags)
        details += [
            f"- **{d.code}**: chủ trì {_lead_shown(d, names)}; phối hợp: {support}."
            + (f" ⚠ {checks}." if checks else ""),
            "",
        ]
    lines += ["", "## Cần kiểm tra", "", *details]
    for key, why in draft.flags.items():
        lines += [f"- ⚠ {FLAG_FIELDS.get(key, key)}: {why}.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
