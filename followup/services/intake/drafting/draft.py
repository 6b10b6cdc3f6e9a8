"""The draft of a meeting from a notice's text: each candidate's units, roles, deadline,
field and title, with the reason to check each guess."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from followup.domain.text import fold_aligned, visible
from followup.services.intake.drafting.deadlines import find_deadline, find_repeat
from followup.services.intake.drafting.model import (
    MAX_TEXT,
    Draft,
    DraftDirective,
    DraftSettings,
    KnownUnit,
)
from followup.services.intake.drafting.splitting import candidates, conclusion_lines, is_directive
from followup.services.intake.drafting.units import (
    Mention,
    find_mentions,
    lead_and_support,
    unit_patterns,
    unknown_units,
)

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


def _title(text: str, mentions: list[Mention]) -> str:
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
    text = visible(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    folded_all = fold_aligned(text)
    flags: dict[str, str] = {}
    found_day, implied = _held_on(folded_all)
    if held_on is None:
        held_on = found_day or today or date(2000, 1, 1)
        if found_day is None:
            flags["held_on"] = (
                "KHÔNG THẤY NGÀY HỌP TRONG VĂN BẢN: máy ghi hôm nay, hãy sửa thành ngày họp"
            )
        elif implied:
            flags["held_on"] = implied
    code = code or f"HOP-{held_on.isoformat()}"
    number = re.search(r"\bso\s*:?\s*(\d+[\w/.-]*/(?:tb|kl)[\w/.-]*)", folded_all)
    notice_number = text[number.start(1) : number.end(1)].upper() if number else ""
    if not title:
        title = _meeting_title(lines) or f"Cuộc họp ngày {held_on:%d/%m/%Y}"
        flags["title"] = "tên cuộc họp lấy từ dòng đầu văn bản"
    patterns = unit_patterns(units)
    start, end = conclusion_lines(lines)
    directives: list[DraftDirective] = []
    skipped: list[int] = []
    for piece in candidates(lines, start, end):
        if not is_directive(piece):
            continue
        folded = fold_aligned(piece.text)
        mentions = own = find_mentions(folded, patterns)
        if piece.doubt and not own:
            skipped.append(piece.line)  # an assessment naming no unit: listed, not drafted
            continue
        item_flags: dict[str, str] = {"text": piece.doubt} if piece.doubt else {}
        if not mentions and piece.context:
            mentions = find_mentions(fold_aligned(piece.context), patterns)
            if mentions:
                item_flags["support"] = "đơn vị lấy từ câu mở đầu hoặc tiêu đề mục"
        lead, support, role_flags = lead_and_support(folded, mentions)
        if not lead and own and piece.context:
            # "1. UBND xã Quảng Nghĩa: + Phối hợp với Phòng TN&MT …": the heading's unit
            # leads what its items only name as partners.
            heading = find_mentions(fold_aligned(piece.context), patterns)
            if heading:
                lead = [heading[0].codes[0]]
                named = [c for m in heading for c in m.codes]
                support = [c for c in dict.fromkeys(support + named) if c != lead[0]]
                role_flags["lead"] = "đơn vị chủ trì lấy từ tiêu đề mục"
        item_flags.update(role_flags)
        outside = unknown_units(piece.text, patterns)
        if outside:
            item_flags["units"] = (
                f"không có trong danh sách đơn vị: {', '.join(outside)}; chọn đơn vị trong danh "
                "sách hoặc thêm đơn vị (followup units load)"
            )
        unknown_lead = ""
        if not lead:
            unknown_lead = outside[0] if outside else ""
            lead = [fallback_unit]
            support = [c for c in support if c != fallback_unit]  # never both
            item_flags["lead"] = (
                f"{outside[0]} không có trong danh sách đơn vị: chọn đơn vị chủ trì"
                if outside
                else "không thấy đơn vị nào: máy ghi văn phòng điều phối"
            )
        deadline, why = find_deadline(folded, held_on, settings)
        if deadline is None and piece.context:
            inherited, inherited_why = find_deadline(fold_aligned(piece.context), held_on, settings)
            if inherited is not None:
                deadline, why = inherited, inherited_why or "hạn lấy từ câu mở đầu hoặc tiêu đề mục"
        if deadline is None:
            deadline = settings.default_deadline
            why = why or "văn bản không ghi hạn: lấy hạn mặc định"
        if not why and _before(deadline, held_on):
            # Opening it would be refused: said here, where the reviewer can mend it.
            why = f"hạn {date.fromisoformat(deadline):%d/%m/%Y} đã qua so với ngày họp"
        if why:
            item_flags["deadline"] = why
        repeat = find_repeat(folded)
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
                unknown_lead=unknown_lead,
            )
        )
    if not directives:
        flags["directives"] = "không tìm thấy nhiệm vụ nào: nhập tay"
    if skipped:
        lines_skipped = ", ".join(str(n) for n in sorted(set(skipped)))
        flags["skipped"] = (
            f"máy bỏ qua các câu nhận xét không nêu đơn vị nào (dòng {lines_skipped} của "
            "thông báo): nếu trong đó có nhiệm vụ, thêm tay"
        )
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


#: The meeting told as it happened, at the start of a line or sentence: "Chiều 8.7, …",
#: "Ngày 17/5/2024, đồng chí … chủ trì …", "Sáng ngày 12 tháng 9, …".
_NARRATED = re.compile(
    r"(?:^|[.!?]\s+)(?:(?:sang|chieu|toi|trua)\s+)?(?:ngay\s+)?"
    r"(?:(\d{1,2})\s*[./-]\s*(\d{1,2})(?:\s*[./-]\s*(\d{4}))?"
    r"|(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?)\s*,",
    re.MULTILINE,
)
#: A notice's own date, or any full date in its head.
_FULL_DATE = re.compile(
    r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})"
    r"|ngay\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
    r"|(?m:^)\s*(\d{1,2})/(\d{1,2})/(\d{4})\b"
)
#: A year the text speaks of; not the second of a span ("năm học 2024-2025", "mùa khô
#: 2024-2025"), which ends after most of the days it covers.
_YEAR = re.compile(r"(?:\bnam\s+|(?<!\d{4})[/.-])((?:19|20)\d{2})\b")


def _held_on(folded: str) -> tuple[date | None, str]:
    """The meeting's day and, when its year was not written beside it, why that year.
    The day the text narrates the meeting on ("Chiều 8.7, UBND tỉnh họp…") comes first:
    a notice's own date is when it was signed, often days later. A day without its year
    takes the year the text speaks of most ("6 tháng đầu năm 2024", "tháng 10/2023")."""
    head = folded[:4000]
    for match in _NARRATED.finditer(head):
        groups = [g for g in match.groups() if g is not None]
        day, month = int(groups[0]), int(groups[1])
        year = int(groups[2]) if len(groups) > 2 else None
        implied = ""
        if year is None:
            # The meeting's own month written with its year ("giao ban tháng 8/2024") says
            # the year; failing that, the year the text speaks of most.
            same_month = re.search(rf"\bthang\s+0?{month}\s*(?:[/.-]|nam)\s*(\d{{4}})\b", folded)
            years = Counter(int(y) for y in _YEAR.findall(folded))
            if same_month:
                year = int(same_month.group(1))
                implied = (
                    f"ngày họp không ghi năm: máy lấy năm {year} của tháng {month} văn bản nhắc tới"
                )
            elif years:
                year = max(years, key=lambda y: (years[y], y))
                implied = (
                    f"ngày họp không ghi năm: máy lấy năm {year}, năm văn bản nhắc tới nhiều nhất"
                )
            else:
                continue
        try:
            return date(year, month, day), implied
        except ValueError:
            continue
    for match in _FULL_DATE.finditer(head):
        day, month, year = (int(g) for g in match.groups() if g is not None)
        try:
            return date(year, month, day), ""
        except ValueError:
            continue
    return None, ""


def _before(deadline: str, day: date) -> bool:
    try:
        return date.fromisoformat(deadline) < day
    except ValueError:
        return False  # "30 ngày làm việc", "thường xuyên"


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
