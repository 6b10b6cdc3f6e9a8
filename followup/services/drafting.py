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

from __future__ import annotations

import calendar
import dataclasses
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from followup.config import Settings
from followup.db.models import Unit
from followup.domain.errors import ValidationError
from followup.domain.text import fold_aligned, nfc
from followup.services.context import ServiceContext
from followup.services.meeting_files import (
    ONCE,
    PRIORITY_LABELS,
    REPEAT_LABELS,
    unit_choice,
)
from followup.services.notice_text import read_notice

#: The mark `meeting load` refuses while any is left in a file.
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


# ----------------------------------------------------------------------------- the units


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    codes: tuple[str, ...]
    #: A group phrase ("các xã"): what it was expanded to needs a look.
    group: str = ""


_ABBREVIATED = {"ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "tp": "thanh pho"}
_JOINERS = (" va ", " - ", "-", " & ")


def _initials(words: str) -> str:
    return "".join(w[0] for w in words.split() if w)


def _aliases(unit: KnownUnit) -> set[str]:
    """The folded ways a notice names a unit."""
    name = fold_aligned(nfc(unit.name)).strip()
    found = {name}
    for short, long in _ABBREVIATED.items():
        for alias in list(found):
            found.add(re.sub(rf"\b{short}\b", long, alias))
            found.add(re.sub(rf"\b{long}\b", short, alias))
    bare = re.sub(r"^(ubnd|uy ban nhan dan)\s+", "", name)
    found.add(bare)
    if unit.kind == "commune":
        place = re.sub(r"^(xa|phuong|thi tran)\s+", "", bare)
        if place != bare and len(place.split()) >= 2:
            found.add(place)
    elif unit.kind == "department":
        head, _, rest = bare.partition(" ")
        if head == "phong" and rest:
            words = rest.split()
            found.add(f"phong {' '.join(words[:2])}")
            groups = [g for g in re.split(r"\s+va\s+|\s*-\s*|\s*&\s*", rest) if g.strip()]
            # Each part written out or by its initials: "Nông nghiệp và PTNT", "NN&PTNT".
            for shorts in itertools.product((False, True), repeat=min(len(groups), 3)):
                parts = [
                    _initials(g) if short else g.strip()
                    for g, short in zip(groups, shorts, strict=False)
                ]
                for joiner in ("&", "-", " va ", "", " - ", " & "):
                    found.add(f"phong {joiner.join(parts)}")
        if bare.startswith("ban quan ly du an"):
            found.update({"ban qlda", "ban quan ly du an"})
        if bare.startswith("cong an "):
            found.update({"cong an tp", "cong an thanh pho", "cong an"})
    return {a for a in found if len(a) >= 4}


def _unit_patterns(units: Sequence[KnownUnit]) -> list[_Pattern]:
    patterns: list[_Pattern] = []
    # An alias two units share (a short name) names neither.
    owners: dict[str, set[str]] = {}
    for unit in units:
        if unit.kind == "leadership":  # they give the work; "về UBND thành phố" is to whom
            continue
        for alias in _aliases(unit):
            owners.setdefault(alias, set()).add(unit.code)
    for alias, codes in sorted(owners.items(), key=lambda item: -len(item[0])):
        if len(codes) == 1:
            regex = re.compile(rf"(?<![\w]){re.escape(alias)}(?![\w])")
            patterns.append(_Pattern(regex, tuple(sorted(codes))))
    communes = tuple(u.code for u in units if u.kind == "commune")
    departments = tuple(u.code for u in units if u.kind == "department")
    groups = [
        (
            r"(?:ubnd|uy ban nhan dan|dang uy,? hdnd,? ubnd)?\s*(?:cac|\d+|nam|05)\s+xa"
            r"(?:,?\s*(?:phuong|thi tran))*(?:\s+(?:lien quan|tren dia ban))?",
            communes,
            "các xã",
        ),
        (r"cac dia phuong", communes, "các địa phương"),
        (
            r"cac\s+(?:phong,?\s*ban(?:,?\s*nganh)?|co quan,?\s*don vi|so,?\s*ban,?\s*nganh"
            r"|nganh|don vi)(?:\s+chuyen mon)?(?:\s+(?:lien quan|thanh pho|co lien quan))?",
            departments,
            "các phòng, ban, ngành",
        ),
    ]
    for group_regex, members, label in groups:
        if members:
            compiled = re.compile(rf"(?<![\w]){group_regex}(?![\w])")
            patterns.append(_Pattern(compiled, members, label))
    return patterns


_RECIPIENT = re.compile(
    r"\b(?:bao cao|gui|trinh|tham muu)\b[^.;]{0,40}?\b(?:ve|cho|den|len|voi|gui)\s*$"
    r"|\bgui\s*$"
    # "báo cáo về UBND thành phố (qua Văn phòng …)": the office only passes the report on.
    r"|\(\s*qua\s*$"
)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    codes: tuple[str, ...]
    group: str


def _mentions(folded: str, patterns: list[_Pattern]) -> list[_Mention]:
    """Every unit named, longest match first, none overlapping; a unit named as the one
    reports go to ("báo cáo … về Phòng Tài chính") is left out."""
    taken: list[_Mention] = []
    for pattern in patterns:
        for match in pattern.regex.finditer(folded):
            start, end = match.span()
            while start < end and folded[start] == " ":
                start += 1
            if any(m.start < end and start < m.end for m in taken):
                continue
            # "báo cáo kết quả về Phòng Tài chính", "gửi Công an thành phố": to whom reports go.
            before = folded[max(0, start - 60) : start]
            if re.search(_RECIPIENT, before):
                continue
            taken.append(_Mention(start, end, pattern.codes, pattern.group))
    return sorted(taken, key=lambda m: m.start)


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


def _repeat(folded: str) -> str:
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


def _deadline(folded: str, held_on: date, settings: DraftSettings) -> tuple[str | None, str | None]:
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


# ----------------------------------------------------------------------------- splitting

_ITEM = re.compile(r"^\s*(?:(\d{1,2})\s*[.)]|([a-zđ])\s*\)|([-–•+*]))\s+")
_NOT_DIRECTIVE = re.compile(
    r"^(?:co ban\s+)?(?:thong nhat|nhat tri|danh gia cao|ghi nhan|bieu duong|"
    r"hoan nghenh|quang canh|dong chi|ngay \d|so:|noi nhan|tuy nhien|tuy vay|ben canh do|"
    r"nhin chung|nam \d{4},)"
)
#: Words that give an order at the start of a sentence: a sentence of an assessment item
#: ("1. Ghi nhận … Tuy nhiên … Giao Phòng X …") is kept only when it starts with one.
_ORDER_START = re.compile(
    r"^(giao|yeu cau|de nghi|chi dao|ubnd|uy ban|phong|cong an|chi cuc|ban |cac )"
)
#: A heading that names the field the items under it belong to ("3. Về xây dựng nông thôn
#: mới nâng cao", without its colon).
_FIELD_HEADING = re.compile(r"^(ve|doi voi|linh vuc|trong linh vuc)\s")
_CONCLUSION = re.compile(r"(ket luan|chi dao)[^.]*?(nhu sau|sau day|cu the)\s*:?\s*$")
#: A news article's conclusion: "Phát biểu kết luận hội nghị, đồng chí … nhấn mạnh: …".
_SPOKEN_CONCLUSION = re.compile(
    r"\b(phat bieu )?ket luan (hoi nghi|buoi lam viec|cuoc hop|phien hop)"
)
_END = re.compile(
    r"^(noi nhan|thong bao de .* biet|\./\.|tren day la (ket luan|y kien|noi dung))"
    r"|(biet,? (va )?thuc hien\s*\./?\.?)$"
)
#: What continues the part before it rather than starting a directive of its own: the report
#: it ends with, its deadline, who answers for it ("…; hoàn thành trước 20.7.2021").
_REPORT_TAIL = re.compile(
    r"^(bao cao|tong hop,? bao cao|gui bao cao|tham muu|hoan thanh (truoc|trong|cham nhat|xong)|"
    r"xong truoc|truoc ngay|cham nhat|(thuc hien )?thuong xuyen|chiu trach nhiem)"
)


@dataclass
class _Piece:
    text: str
    line: int
    #: The units a heading or the clause that opens a semicolon list names, for the parts
    #: that name none.
    context: str = ""


def _body(lines: list[str]) -> tuple[int, int]:
    """The lines that hold the conclusion: after "kết luận … như sau:" (or the last short
    caption naming the conclusion), before "Nơi nhận" and the closing formula."""
    folded = [fold_aligned(x).strip() for x in lines]
    start = 0
    for index, line in enumerate(folded):
        if _CONCLUSION.search(line):
            start = index + 1
            break
    else:
        for index, line in enumerate(folded):
            caption = "ket luan" in line and len(line.split()) <= 30 and not line.endswith(".")
            if caption or (index > 0 and _SPOKEN_CONCLUSION.search(line)):
                start = index + 1
    end = len(lines)
    for index in range(start, len(lines)):
        if _END.search(folded[index]):
            end = index
            break
    return start, end


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“(])", text)
    return [p.strip() for p in parts if p.strip()]


def _pieces(lines: list[str], start: int, end: int) -> list[_Piece]:
    """Directive candidates: items, then sentences, then semicolon parts."""
    blocks: list[tuple[str, int, bool]] = []  # text, line, is an item
    for index in range(start, end):
        raw = lines[index].strip()
        if not raw:
            continue
        item = _ITEM.match(raw)
        if item:
            blocks.append((raw[item.end() :].strip(), index + 1, True))
        elif blocks and blocks[-1][2] and not re.search(r"[.:;!?]$", blocks[-1][0]):
            text, line, _ = blocks[-1]
            blocks[-1] = (f"{text} {raw}", line, True)
        else:
            blocks.append((raw, index + 1, False))
    pieces: list[_Piece] = []
    heading = ""
    for text, line, is_item in blocks:
        folded = fold_aligned(text)
        words = len(text.split())
        if text.endswith(":") and words <= 25:
            heading = text  # "2. Đối với UBND các xã:" speaks for the items under it
            continue
        if not re.search(r"[.;!?…]$", text) and (
            (is_item and _FIELD_HEADING.match(folded) and words <= 15)
            or (not is_item and words <= 10 and not _ORDER_START.match(folded))
        ):
            # "3. Về xây dựng nông thôn mới" (a heading without its colon); an article's
            # byline ("Minh Anh - Trung tâm Truyền thông").
            if is_item:
                heading = text
            continue
        assessment = False
        for number, sentence in enumerate(_sentences(text)):
            sentence_folded = fold_aligned(sentence)
            if number == 0:
                assessment = bool(_NOT_DIRECTIVE.match(sentence_folded))
            elif assessment and not _ORDER_START.match(sentence_folded):
                continue  # "1. Ghi nhận … Tuy nhiên, … còn chậm": the item assesses
            parts = [p.strip() for p in sentence.split(";") if p.strip()]
            merged: list[str] = []
            for part in parts:
                pf = fold_aligned(part)
                if merged and (_REPORT_TAIL.match(pf) or len(part.split()) < 4):
                    merged[-1] = f"{merged[-1]}; {part}"
                else:
                    merged.append(part)
            opener = merged[0] if len(merged) > 1 else ""
            for part in merged:
                pieces.append(_Piece(part.rstrip(" .…"), line, f"{heading} {opener}".strip()))
    return pieces


def _is_directive(piece: _Piece) -> bool:
    folded = fold_aligned(piece.text).strip()
    if len(folded.split()) < 4 or _NOT_DIRECTIVE.match(folded):
        return False
    return not folded.endswith("?")


# ----------------------------------------------------------------------------- fields

_FIELDS = (
    (
        r"kenh muong|thuy loi|de bien|de song|mua mua|thien tai|lu bao",
        "Thủy lợi, phòng chống thiên tai",
    ),
    (r"truong hoc|giao duc|hoc sinh", "Giáo dục"),
    (
        r"thuy san|tha giong|nuoi trong|danh bat|ocop|nong nghiep|san xuat|cay trong",
        "Nông nghiệp, thủy sản",
    ),
    (r"an toan thuc pham|attp|ve sinh thuc pham", "An toàn thực phẩm"),
    (r"\bcho (xa|dau moi|dan sinh)\b|kinh doanh|thuong mai", "Kinh doanh, chợ"),
    (r"gpmb|giai phong mat bang|dat dai|lan chiem|khoang san|tai nguyen", "Đất đai, tài nguyên"),
    (r"bau cu", "Bầu cử"),
    (r"ngan sach|thu chi|thue", "Ngân sách"),
    (r"dieu tra|thong ke", "Thống kê"),
    (r"nuoc sach", "Nước sạch"),
    (r"phap luat|tu phap", "Tư pháp, pháp luật"),
    (r"covid|dich benh|vung dich|phong chong dich|y te", "Y tế, phòng chống dịch"),
    (r"an ninh|trat tu|antt|vi pham", "An ninh, trật tự"),
    (r"nong thon moi|ntm|ha tang|trat tu xay dung", "Xây dựng, nông thôn mới"),
)


def _field(folded: str) -> str:
    """The field whose words come first in the directive."""
    found = [
        (match.start(), name)
        for pattern, name in _FIELDS
        if (match := re.search(rf"\b(?:{pattern})\b", folded)) is not None
    ]
    return min(found)[1] if found else ""


def _title(text: str, mentions: list[_Mention]) -> str:
    """A short title: the work the directive names, after whom it is given to (`mentions`:
    the units named in `text` itself)."""
    cut = 0
    for mention in mentions:
        if mention.start <= cut + 40:
            cut = mention.end
    rest = re.sub(r"^(trong|về|đối với)\s[^,]{3,80},\s*", "", text[cut:], flags=re.IGNORECASE)
    rest = re.sub(
        r"^[\s,.:;-]*((chủ trì|phối hợp( với)?|thực hiện|và|cùng|tiếp tục|khẩn trương|chỉ đạo|"
        r"giao|yêu cầu|đề nghị|sẽ|cần|phải)[\s,]+)*",
        "",
        rest,
        flags=re.IGNORECASE,
    )
    if len(rest.split()) < 3:
        rest = text
    words = rest.split()
    title = " ".join(words[:12])
    clause = re.split(r"[;,:]", title)[0]
    if len(clause.split()) >= 6:
        title = clause
    title = title.strip(" ,.;:-")
    if not title:
        title = " ".join(text.split()[:12])
    return (title[:1].upper() + title[1:])[:200]


# ----------------------------------------------------------------------------- the draft


def _roles(folded: str, mentions: list[_Mention]) -> tuple[list[str], list[str], dict[str, str]]:
    """Lead and supporting units, and what to check about them."""
    flags: dict[str, str] = {}
    lead: list[str] = []
    support: list[str] = []
    for mention in mentions:
        after = folded[mention.end : mention.end + 30]
        before = folded[max(0, mention.start - 40) : mention.start]
        if re.match(r"[\s,]*(?:[^\s,.;]+\s+){0,2}?(la\s+)?(don vi\s+)?chu tri", after):
            lead.extend(c for c in mention.codes if c not in lead)
        elif re.search(r"phoi hop(\s+voi)?[^.;]*$", before) and not re.search(
            r"chu tri[^.;]*$", folded[mention.end : mention.end + 30]
        ):
            support.extend(c for c in mention.codes if c not in support)
    everyone = [c for m in mentions for c in m.codes]
    if not lead:
        rest = [c for c in everyone if c not in support]
        if rest:
            lead = [rest[0]]
            support = [c for c in everyone if c != rest[0]]
            if len(set(everyone)) > 1:
                flags["lead"] = "đơn vị chủ trì do máy chọn (văn bản không ghi “chủ trì”)"
    elif len(lead) > 1:
        support = lead[1:] + support
        lead = lead[:1]
        flags["lead"] = "nhiều đơn vị cùng chủ trì: máy ghi đơn vị đầu là chủ trì"
    support = [c for c in dict.fromkeys(support + everyone) if c not in lead]
    groups = sorted({m.group for m in mentions if m.group})
    if groups:
        flags["support"] = (
            "đã hiểu " + ", ".join(f"“{g}”" for g in groups) + " theo danh sách đơn vị"
        )
    return lead, support, flags


def draft_meeting(
    text: str,
    units: Sequence[KnownUnit],
    *,
    code: str,
    held_on: date | None = None,
    title: str = "",
    fallback_unit: str,
    settings: DraftSettings | None = None,
    today: date | None = None,
) -> Draft:
    """The draft of a meeting from its conclusion notice (never raises on any text). `code`:
    the meeting's code ("" → HOP-<day held>)."""
    settings = settings or DraftSettings()
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    folded_all = fold_aligned(text)
    flags: dict[str, str] = {}
    found_day = _held_on(folded_all)
    if held_on is None:
        held_on = found_day or today or date(2000, 1, 1)
        if found_day is None:
            flags["held_on"] = "không thấy ngày họp trong văn bản: máy ghi hôm nay"
    code = code or f"HOP-{held_on.isoformat()}"
    number = re.search(r"\bso\s*:?\s*(\d+[\w/.-]*/(?:tb|kl)[\w/.-]*)", folded_all)
    notice_number = text[number.start(1) : number.end(1)].upper() if number else ""
    if not title:
        title = _meeting_title(lines) or f"Cuộc họp ngày {held_on:%d/%m/%Y}"
        flags["title"] = "tên cuộc họp lấy từ dòng đầu văn bản"
    patterns = _unit_patterns(units)
    start, end = _body(lines)
    directives: list[DraftDirective] = []
    for piece in _pieces(lines, start, end):
        if not _is_directive(piece):
            continue
        folded = fold_aligned(piece.text)
        mentions = own = _mentions(folded, patterns)
        item_flags: dict[str, str] = {}
        if not mentions and piece.context:
            mentions = _mentions(fold_aligned(piece.context), patterns)
            if mentions:
                item_flags["support"] = "đơn vị lấy từ câu mở đầu hoặc tiêu đề mục"
        lead, support, role_flags = _roles(folded, mentions)
        if not lead and own and piece.context:
            # "1. UBND xã Quảng Nghĩa: + Phối hợp với Phòng TN&MT …": the heading's unit
            # leads what its items only name as partners.
            heading = _mentions(fold_aligned(piece.context), patterns)
            if heading:
                lead = [heading[0].codes[0]]
                named = [c for m in heading for c in m.codes]
                support = [c for c in dict.fromkeys(support + named) if c != lead[0]]
                role_flags["lead"] = "đơn vị chủ trì lấy từ tiêu đề mục"
        item_flags.update(role_flags)
        if not lead:
            lead = [fallback_unit]
            item_flags["lead"] = "không thấy đơn vị nào: máy ghi văn phòng điều phối"
        deadline, why = _deadline(folded, held_on, settings)
        if deadline is None and piece.context:
            inherited, inherited_why = _deadline(fold_aligned(piece.context), held_on, settings)
            if inherited is not None:
                deadline, why = inherited, inherited_why or "hạn lấy từ câu mở đầu hoặc tiêu đề mục"
        if deadline is None:
            deadline = settings.default_deadline
            why = why or "văn bản không ghi hạn: lấy hạn mặc định"
        if why:
            item_flags["deadline"] = why
        repeat = _repeat(folded)
        if repeat:
            item_flags["repeat"] = "nhiệm vụ định kỳ: mỗi kỳ mở một nhiệm vụ mới; xem lại kỳ"
        text_as_written = piece.text
        if len(text_as_written) > MAX_TEXT:
            text_as_written = text_as_written[:MAX_TEXT]
            item_flags["text"] = (
                f"đoạn văn dài quá {MAX_TEXT} ký tự: máy cắt bớt, tách thành nhiều nhiệm vụ"
            )
        directives.append(
            DraftDirective(
                code=f"{code}-{len(directives) + 1:02d}",
                title=_title(piece.text, own),
                text=text_as_written,
                field=_field(folded),
                lead=lead[0],
                support=support,
                deadline=deadline,
                repeat=repeat,
                line=piece.line,
                flags=item_flags,
            )
        )
    if not directives:
        flags["directives"] = "không tìm thấy nhiệm vụ nào: nhập tay"
    return Draft(
        code=code,
        title=title,
        held_on=held_on,
        chair="",
        notice_number=notice_number,
        source_text=text,
        directives=directives,
        flags=flags,
    )


def _held_on(folded: str) -> date | None:
    """The first full date the notice's head gives (its date, or the meeting's)."""
    found = re.finditer(
        r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})"
        r"|ngay\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
        r"|(?m:^)\s*(\d{1,2})/(\d{1,2})/(\d{4})\b",
        folded[:3000],
    )
    for match in found:
        day, month, year = (int(g) for g in match.groups() if g is not None)
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def _meeting_title(lines: list[str]) -> str:
    for line in lines[:40]:
        stripped = line.strip()
        folded = fold_aligned(stripped)
        if len(stripped.split()) >= 5 and re.search(r"ket luan|lam viec|hop|hoi nghi", folded):
            return stripped[:200]
    for line in lines:
        if len(line.split()) >= 3:
            return line.strip()[:200]
    return ""


# ----------------------------------------------------------------------------- the file


def shown_deadline(deadline: str) -> str:
    """A drafted deadline as people write it: 31/05/2021 (or "30 ngày làm việc")."""
    try:
        return f"{date.fromisoformat(deadline):%d/%m/%Y}"
    except ValueError:
        return deadline


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's: quotes, backslashes, controls; TOML
    also wants DEL escaped, which JSON leaves)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _flagged(line: str, reason: str | None) -> str:
    return f"{line}  {REVIEW_MARK} {reason}" if reason else line


def draft_toml(draft: Draft, units: Sequence[KnownUnit], *, source: str) -> str:
    """The draft as a meeting file: each guess marked on its line with `# KIỂM TRA:`."""
    names = {u.code: u.name for u in units}

    def unit(code: str) -> str:
        return _toml_string(f"{names[code]} ({code})" if code in names else code)

    lines = [
        f"# BẢN NHÁP soạn tự động từ {source}: {len(draft.directives)} nhiệm vụ.",
        "# Đọc lại từng nhiệm vụ với thông báo gốc. Dòng nào máy đoán có dấu KIỂM TRA ở cuối:",
        "# sửa nếu cần rồi xoá dấu đó. 'followup meeting load' không nhận tệp còn dấu nào, nên",
        "# chưa có gì được gửi đi.",
        "",
        "[meeting]",
        f"code = {_toml_string(draft.code)}",
        _flagged(f"title = {_toml_string(draft.title)}", draft.flags.get("title")),
        _flagged(f"held_on = {draft.held_on.isoformat()}", draft.flags.get("held_on")),
        f"chair = {_toml_string(draft.chair)}",
        f"notice_number = {_toml_string(draft.notice_number)}",
        f"source_text = {_toml_string(draft.source_text)}",
    ]
    if "directives" in draft.flags:
        lines.append(f"{REVIEW_MARK} {draft.flags['directives']}")
    for d in draft.directives:
        support = ", ".join(unit(c) for c in d.support)
        lines += [
            "",
            "[[directives]]",
            f"# Dòng {d.line} của thông báo.",
            f"code = {_toml_string(d.code)}",
            f"title = {_toml_string(d.title)}",
            _flagged(f"text = {_toml_string(d.text)}", d.flags.get("text")),
            f"field = {_toml_string(d.field)}",
            _flagged(f"lead = {unit(d.lead)}", d.flags.get("lead")),
            _flagged(f"support = [{support}]", d.flags.get("support")),
            _flagged(
                f"deadline = {_toml_string(shown_deadline(d.deadline))}", d.flags.get("deadline")
            ),
        ]
        if d.repeat:
            lines.append(
                _flagged(f"repeat = {_toml_string(REPEAT_LABELS[d.repeat])}", d.flags.get("repeat"))
            )
    return "\n".join(lines) + "\n"


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
    with ctx.session_factory() as session:
        rows = session.execute(select(Unit.code, Unit.name, Unit.kind).order_by(Unit.id))
        units = [KnownUnit(c, n, k) for c, n, k in rows]
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
    names = {u.code: u.name for u in units}

    def unit(code: str) -> str:
        return unit_choice(code, names[code]) if code in names else code

    return {
        "meeting": {
            "code": draft.code,
            "title": draft.title,
            "held_on": f"{draft.held_on:%d/%m/%Y}",
            "chair": draft.chair,
            "notice_number": draft.notice_number,
            "source_text": draft.source_text,
        },
        "directives": [
            {
                "code": d.code,
                "title": d.title,
                "text": d.text,
                "field": d.field,
                "priority": PRIORITY_LABELS["normal"],
                "lead": unit(d.lead),
                "support": [unit(c) for c in d.support],
                "deadline": shown_deadline(d.deadline),
                "repeat": REPEAT_LABELS.get(d.repeat, ONCE),
                "repeat_until": "",
            }
            for d in draft.directives
        ],
    }


#: What the review table calls each field a guess was made about.
FLAG_FIELDS = {
    "lead": "chủ trì",
    "support": "phối hợp",
    "deadline": "hạn",
    "repeat": "lặp lại",
    "text": "nội dung",
    "title": "tên cuộc họp",
    "held_on": "ngày họp",
    "directives": "nhiệm vụ",
}


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
        checks = "; ".join(f"{FLAG_FIELDS.get(k, k)}: {v}" for k, v in d.flags.items())
        # Each item ends with a full stop and a blank line: Prefect's renderer otherwise runs
        # the items together.
        lines += [
            f"- **{d.code}** {d.text[:160].rstrip('.')}. Chủ trì: {names.get(d.lead, d.lead)}; "
            f"phối hợp: {support}; hạn: {shown_deadline(d.deadline)}."
            + (f" ⚠ Cần kiểm tra: {checks}." if checks else ""),
            "",
        ]
    for key, why in draft.flags.items():
        lines += [f"- ⚠ Cần kiểm tra {FLAG_FIELDS.get(key, key)}: {why}.", ""]
    return "\n".join(lines)


def draft_markdown(draft: Draft, units: Sequence[KnownUnit]) -> str:
    """The review table: each directive, its units and deadline, and what to check."""
    names = {u.code: u.name for u in units}

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"# Bản nháp {cell(draft.code)}: {len(draft.directives)} nhiệm vụ",
        "",
        "Máy soạn từ thông báo kết luận. Xem lại từng dòng (nhất là cột **Cần kiểm tra**), "
        "sửa trong biểu mẫu bên dưới rồi bấm gửi: chỉ khi đó cuộc họp mới được mở và thông "
        "báo mới được gửi.",
        "",
        "| Mã | Nội dung | Chủ trì | Phối hợp | Hạn | Cần kiểm tra |",
        "|---|---|---|---|---|---|",
    ]
    for d in draft.directives:
        support = ", ".join(names.get(c, c) for c in d.support) or "—"
        checks = "; ".join(f"{FLAG_FIELDS.get(k, k)}: {v}" for k, v in d.flags.items())
        marked = f"⚠ {cell(checks)}" if checks else "—"
        lines.append(
            f"| {cell(d.code)} | {cell(d.text[:160])} | {cell(names.get(d.lead, d.lead))} | "
            f"{cell(support)} | {cell(shown_deadline(d.deadline))} | {marked} |"
        )
    for key, why in draft.flags.items():
        lines += ["", f"⚠ {FLAG_FIELDS.get(key, key)}: {why}"]
    return "\n".join(lines) + "\n"
