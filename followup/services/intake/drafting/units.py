"""The units a notice names (full name, short name, initials, groups such as “các xã”), and
which of them leads."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from followup.domain.text import fold_aligned, nfc
from followup.services.intake.drafting.model import KnownUnit

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


def unit_patterns(units: Sequence[KnownUnit]) -> list[_Pattern]:
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
class Mention:
    start: int
    end: int
    codes: tuple[str, ...]
    group: str


def find_mentions(folded: str, patterns: list[_Pattern]) -> list[Mention]:
    """Every unit named, longest match first, none overlapping; a unit named as the one
    reports go to ("báo cáo … về Phòng Tài chính") is left out."""
    taken: list[Mention] = []
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
            taken.append(Mention(start, end, pattern.codes, pattern.group))
    return sorted(taken, key=lambda m: m.start)


def lead_and_support(
    folded: str, mentions: list[Mention]
) -> tuple[list[str], list[str], dict[str, str]]:
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


# ------------------------------------------------------------------- units not in the file

#: How the name of a body starts ("Văn phòng UBND tỉnh", "Ban Chỉ huy quân sự xã Vạn Ninh",
#: "Trung tâm Phát triển quỹ đất huyện", "cấp ủy xã Hải Tiến").
_BODY = re.compile(
    r"\b(Văn phòng|Ban Chỉ huy|Ban Quản lý|Ban|Phòng|Trung tâm|Sở|Chi cục|Cục|Công an|"
    r"Đồn Biên phòng|Đồn|[Cc]ấp ủy|Đảng ủy|UBND|Ủy ban nhân dân|Bệnh viện|Trường|Kho bạc|"
    r"Hội|Đoàn)\b"
)
#: Lower-case words that go on a body's name ("… quỹ đất huyện", "… quân sự xã").
_NAME_WORDS = frozenset(
    {"xã", "huyện", "tỉnh", "thành", "phố", "phường", "thị", "trấn", "và"}
    | {"quỹ", "đất", "quân", "sự", "nhân", "dân", "phát", "triển"}
)
#: Of those, the ones a name cannot end with ("… thành", "… và"): the next words have them.
_OPEN_WORDS = frozenset({"và", "thành", "thị", "quỹ", "phát", "quân", "nhân"})
_NEXT_WORD = re.compile(r"\s+([^\s,.;:()]+)")
#: A body named as who speaks or chairs ("Chủ tịch UBND tỉnh yêu cầu…"), not one given work.
_SPEAKER = re.compile(r"(chu tich|bi thu|lanh dao|dong chi|thu truong|giam doc)\s*$")


def _trimmed(folded: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and folded[start] == " ":
        start += 1
    while end > start and folded[end - 1] == " ":
        end -= 1
    return start, end


def unknown_units(text: str, patterns: list[_Pattern]) -> list[str]:
    """Bodies the text names that are not in the units file ("Văn phòng UBND tỉnh"), as
    written, for the reviewer to choose a unit or add one; never the ones it knows."""
    folded = fold_aligned(text)
    known = [_trimmed(folded, m.span()) for p in patterns for m in p.regex.finditer(folded)]
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    for head in _BODY.finditer(text):
        start = head.start()
        if _SPEAKER.search(folded[max(0, start - 25) : start]):
            continue
        end = head.end()
        while (word := _NEXT_WORD.match(text, end)) is not None:
            token = word.group(1)
            if not (token[:1].isupper() or token in _NAME_WORDS):
                break
            end = word.end()
        while True:  # "… và", "… thành" at the end belong to the next words, not the name
            last = text[start:end].rsplit(" ", 1)
            if len(last) == 2 and last[1] in _OPEN_WORDS:
                end = start + len(last[0])
            else:
                break
        name = text[start:end].strip()
        end = start + len(name)
        if len(name.split()) < 2 or any(a <= start and end <= b for a, b in known):
            continue  # a unit of the file, however it is written
        if any(a <= start < b for a, b in spans):
            continue  # "UBND tỉnh" inside "Văn phòng UBND tỉnh"
        spans.append((start, end))
        if name not in found:
            found.append(name)
    return found
