"""Where a notice's conclusion is, and its directive candidates: items, sentences, semicolon
parts, with the heading or opening clause that speaks for them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from followup.domain.text import fold_aligned

# ----------------------------------------------------------------------------- splitting

_ITEM = re.compile(r"^\s*(?:(\d{1,2})\s*[.)]|([a-zđ])\s*\)|([-–•+*]))\s+")
_NOT_DIRECTIVE = re.compile(
    r"^(?:co ban\s+)?(?:thong nhat|nhat tri|danh gia cao|ghi nhan|bieu duong|"
    r"hoan nghenh|quang canh|dong chi|ngay \d|so:|noi nhan|"
    # a meeting narrated ("Chiều 8.7, UBND tỉnh tổ chức…"), the meeting agreeing, a
    # headline repeated as the first item ("1. Kết luận của Chủ tịch … tại buổi …")
    r"(?:sang|chieu|toi|trua)\s+(?:ngay\s+)?\d|(?:hoi nghi|cuoc hop|phien hop)\s+thong nhat|"
    r"ket luan (?:cua|tai)\s|phat bieu ket luan)"
)
#: Words that give an order anywhere in a clause ("…, đồng chí Chủ tịch yêu cầu các
#: ngành…"): a clause that has one is a directive whatever it starts with.
ORDERS = re.compile(
    r"\b(yeu cau|de nghi|chi dao|nhiem vu thoi gian toi"
    # "giao" folded is also "giáo" (Phòng Giáo dục, giáo viên) and the first half of words
    # that give no order ("giao ban", "giao thông", "bàn giao"…)
    r"|(?<!ban )(?<!ton )giao(?! (?:ban|thong|duc|vien|dich|luu|nhan|tiep|dat|hang)\b))\b"
)
#: A statement of what is or was (figures, reports received, what the delegates said), not
#: an order: dropped unless the clause, or the one opening its list, gives an order.
_STATEMENT = re.compile(
    r"^(theo bao cao|bao cao cho thay|tai (hoi nghi|buoi lam viec|phien hop|cuoc hop)|"
    r"cac dai bieu|dai dien|den nay|tu ngay .{1,40}? den ngay|trong (thang|quy|nam)|"
    r"(thanh pho|toan (thanh pho|tinh|huyen|xa)|xa|huyen|tinh) (co|da|dat)\b|"
    # who attended: "Dự hội nghị có …", "Cùng dự có …", "Các đồng chí … dự họp."
    r"(cung |tham )?du (hop|hoi nghi|buoi lam viec|cuoc hop)? ?co\b|tham gia doan co\b)"
    r"|\d+(?:[.,]\d+)?\s*(%|ty dong|trieu dong|km|ho|nhiem vu|bao cao|luot)\b|\bdu hop$"
)
#: The chair appraising ("Kết luận hội nghị, đồng chí Chủ tịch … ghi nhận …", "Chủ tịch UBND
#: huyện biểu dương …"): a statement unless the clause also gives an order.
_APPRAISING = re.compile(
    r"^(?:[^,]{0,60},\s*)?(?:dong chi|chu tich|pho chu tich|bi thu|truong doan|lanh dao)\b"
    r"[^,;]{0,80}?\b(?:ghi nhan|danh gia cao|bieu duong|hoan nghenh|nhan manh|phe binh|"
    r"khen ngoi|danh gia)\b"
)
#: How an assessment goes on ("Tuy nhiên, tiến độ … còn chậm"): such a part is a directive
#: only if it names a unit, and then it is marked for review.
_ASSESSING = re.compile(r"^(?:tuy nhien|tuy vay|ben canh do|nhin chung|nam \d{4},)")
#: Words that give an order at the start of a sentence: a sentence of an assessment item
#: ("1. Ghi nhận … Tuy nhiên … Giao Phòng X …") is kept only when it starts with one.
_ORDER_START = re.compile(
    r"^(giao|yeu cau|de nghi|chi dao|ubnd|uy ban|phong|cong an|chi cuc|ban |cac )"
)
#: A heading that names the field the items under it belong to ("3. Về xây dựng nông thôn
#: mới nâng cao", without its colon).
_FIELD_HEADING = re.compile(r"^(ve|doi voi|linh vuc|trong linh vuc)\s")
#: A section of a notice ("I. ĐÁNH GIÁ CHUNG", "1. Về kết quả thực hiện", "2. Nhiệm vụ
#: trong thời gian tới", "3. Nhiệm vụ tháng 12:"): a Roman numeral, or a short numbered line
#: without its full stop that names what a section of a report holds.
_ROMAN = re.compile(r"^\s*[IVX]{1,4}\s*[.)]\s+")
#: What a section that tells what was done or found is titled: none of it is drafted.
_FOUND = r"danh gia|ket qua|tinh hinh|thuc trang|nhan xet|uu diem|han che|ton tai"
_SECTION = re.compile(
    rf"^(?:ve\s+)?(?:{_FOUND}|nhiem vu|giai phap|phuong huong|cac nhiem vu|mot so nhiem vu|"
    r"de xuat|kien nghi)\b"
)
_APPRAISAL_SECTION = re.compile(rf"^(?:ve\s+)?(?:{_FOUND})\b")
_CONCLUSION = re.compile(
    r"(ket luan|chi dao)[^.]*?(nhu sau|sau day|cu the)\s*:?\s*$|(ket luan|chi dao)\s*:\s*$"
)
#: A news article's conclusion: "Phát biểu kết luận hội nghị, đồng chí … nhấn mạnh: …",
#: "Kết luận phiên họp, đồng chí … yêu cầu …".
_SPOKEN_CONCLUSION = re.compile(
    r"\b(phat bieu ket luan|ket luan (hoi nghi|buoi lam viec|cuoc hop|phien hop))"
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
    #: Why this part may not give an order (an assessment goes on, a short line without
    #: its full stop): kept, and marked, only if it names a unit.
    doubt: str = ""
    #: A part of a semicolon list opened by a statement ("Trong tháng, xã đã thu …; tiêm
    #: chủng cho 96 trẻ; …"): a statement too, unless it gives an order of its own.
    stated: bool = False


def conclusion_lines(lines: list[str]) -> tuple[int, int]:
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
            spoken = index > 0 and _SPOKEN_CONCLUSION.search(line)
            if spoken and len(line.split()) > 30:
                # A paragraph that is the conclusion ("Kết luận phiên họp, đồng chí … yêu
                # cầu …; …; …"): it holds the directives itself.
                start = index
            elif caption or spoken:
                start = index + 1
        if start == 0:
            # No word names the conclusion ("Sau khi nghe …, Chủ tịch UBND thành phố giao …"):
            # it starts with the first paragraph after the headline that gives an order.
            start = next((i for i, x in enumerate(folded) if i and ORDERS.search(x)), 0)
    # A notice in Roman-numbered sections holds its conclusion in them: what comes before the
    # first is the meeting narrated, who attended, what was heard.
    roman = [i for i in range(start, len(lines)) if _ROMAN.match(lines[i])]
    if roman:
        start = roman[0]
    end = len(lines)
    for index in range(start, len(lines)):
        if _END.search(folded[index]):
            end = index
            break
    return start, end


def _is_section(text: str) -> bool:
    """A numbered line that titles a section ("1. Về kết quả thực hiện") rather than giving
    an order: short, without its full stop, naming what a section holds."""
    short = len(text.split()) <= 12 and not re.search(r"[.;!?…]$", text)
    return short and _SECTION.match(fold_aligned(text)) is not None


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“(])", text)
    return [p.strip() for p in parts if p.strip()]


def candidates(lines: list[str], start: int, end: int) -> list[_Piece]:
    """Directive candidates: items, then sentences, then semicolon parts."""
    blocks: list[tuple[str, int, str]] = []  # text, line, kind: item | section | line
    for index in range(start, end):
        raw = lines[index].strip()
        if not raw:
            continue
        item = _ITEM.match(raw) or _ROMAN.match(raw)
        if item:
            text = raw[item.end() :].strip()
            kind = "section" if _ROMAN.match(raw) or _is_section(text) else "item"
            blocks.append((text, index + 1, kind))
        elif blocks and blocks[-1][2] == "item" and not re.search(r"[.:;!?]$", blocks[-1][0]):
            text, line, _ = blocks[-1]
            blocks[-1] = (f"{text} {raw}", line, "item")
        else:
            blocks.append((raw, index + 1, "line"))
    pieces: list[_Piece] = []
    heading = ""
    appraisal = False
    for text, line, kind in blocks:
        folded = fold_aligned(text)
        words = len(text.split())
        is_item = kind == "item"
        if kind == "section":
            appraisal = bool(_APPRAISAL_SECTION.match(folded))
            heading = ""
            continue
        if appraisal:
            continue  # what a section of results or findings says
        if text.endswith(":") and words <= 25:
            heading = text  # "2. Đối với UBND các xã:" speaks for the items under it
            continue
        doubt = ""
        unended = not re.search(r"[.;!?…]$", text)
        if unended and is_item and _FIELD_HEADING.match(folded) and words <= 15:
            heading = text  # "3. Về xây dựng nông thôn mới" (a heading without its colon)
            continue
        if unended and not is_item and words <= 10 and not _ORDER_START.match(folded):
            doubt = "dòng ngắn không có dấu chấm (tiêu đề, tên tác giả?): xem có phải nhiệm vụ"
        assessment = False
        for number, sentence in enumerate(_sentences(text)):
            sentence_folded = fold_aligned(sentence)
            said = doubt
            if number == 0:
                assessment = bool(_NOT_DIRECTIVE.match(sentence_folded))
            elif (
                assessment
                and not _ORDER_START.match(sentence_folded)
                and not ORDERS.search(sentence_folded)
            ):
                # "1. Ghi nhận … Tuy nhiên, … còn chậm": the item assesses
                said = "câu trong mục nhận xét, không có lời giao việc: xem có phải nhiệm vụ"
            if _ASSESSING.match(sentence_folded):
                said = "câu nhận xét (“tuy nhiên”, “nhìn chung”…): xem có phải nhiệm vụ"
            parts = [p.strip() for p in sentence.split(";") if p.strip()]
            merged: list[str] = []
            for part in parts:
                pf = fold_aligned(part)
                # An item is one unit's task: its semicolon parts that name no one of their
                # own go on with it ("Đồn Biên phòng tăng cường kiểm soát…; kiên quyết …").
                goes_on = is_item and not _ORDER_START.match(pf)
                if merged and (goes_on or _REPORT_TAIL.match(pf) or len(part.split()) < 4):
                    merged[-1] = f"{merged[-1]}; {part}"
                else:
                    merged.append(part)
            opener = merged[0] if len(merged) > 1 else ""
            stated = bool(opener) and _states(fold_aligned(opener))
            for part in merged:
                context = f"{heading} {opener}".strip()
                piece = _Piece(part.rstrip(" .…"), line, context, said, stated and part != opener)
                pieces.append(piece)
    return pieces


def _states(folded: str) -> bool:
    """A clause that tells what is or was and gives no order."""
    return _STATEMENT.search(folded) is not None and ORDERS.search(folded) is None


def is_directive(piece: _Piece) -> bool:
    folded = fold_aligned(piece.text).strip()
    if len(folded.split()) < 4 or folded.endswith("?"):
        return False
    orders = ORDERS.search(folded) is not None
    if piece.stated and not orders:
        return False
    if (_NOT_DIRECTIVE.match(folded) or _APPRAISING.match(folded)) and not orders:
        return False
    if orders or ORDERS.search(fold_aligned(piece.context)):
        return True
    return not _STATEMENT.search(folded)
