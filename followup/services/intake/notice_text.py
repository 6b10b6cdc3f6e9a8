"""The text of a conclusion notice as a coordinator has it: a .txt file, a Word .docx or a PDF.

A .docx is read with the standard library (it is a zip of XML: paragraphs are `w:p`, text
runs `w:t`, tabs and breaks `w:tab`/`w:br`), with what Word keeps outside the text put back:
automatic numbering ("1.", "a)" in numbering.xml), footnotes (inline, where they are
referenced) and tables of directives (one line per row, its columns said in words). A PDF is
read with pypdf (pure Python, no model, no network). Whatever the source, the result is NFC
text with one paragraph per line."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from followup.domain.errors import ValidationError
from followup.domain.text import visible

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: What `meeting draft` reads.
SUFFIXES = (".txt", ".docx", ".pdf")


def read_notice(path: Path) -> str:
    """The notice's text, or a one-sentence refusal naming the file."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            f"Tệp {path}: không đọc được loại tệp '{suffix or '(không có đuôi)'}'; dùng .txt, "
            ".docx hoặc .pdf."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc
    if suffix == ".docx":
        text = _docx_text(raw, path)
    elif suffix == ".pdf":
        text = _pdf_text(raw, path)
    else:
        text = _plain_text(raw, path)
    text = visible(text).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValidationError(f"Tệp {path} không có chữ nào (bản scan cần nhận dạng chữ trước).")
    return text


def _plain_text(raw: bytes, path: Path) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"Tệp {path} không phải UTF-8 (byte {exc.start}); lưu lại với bảng mã UTF-8."
        ) from exc


def _docx_text(raw: bytes, path: Path) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            document = archive.read("word/document.xml")
            names = set(archive.namelist())
            numbering = archive.read("word/numbering.xml") if "word/numbering.xml" in names else b""
            notes = archive.read("word/footnotes.xml") if "word/footnotes.xml" in names else b""
        root = ElementTree.fromstring(document)  # noqa: S314 - a local file the user chose
        levels = _numbering(ElementTree.fromstring(numbering)) if numbering else {}  # noqa: S314
        footnotes = _footnotes(ElementTree.fromstring(notes)) if notes else {}  # noqa: S314
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ValidationError(f"Tệp {path} không phải tệp Word .docx đọc được.") from exc
    body = root.find(f"{_W}body")
    if body is None:
        return ""
    counters: dict[tuple[str, int], int] = {}
    lines: list[str] = []
    for block in body:
        if block.tag == f"{_W}p":
            prefix = _number(block, levels, counters)
            lines.append(prefix + _paragraph_text(block, footnotes))
        elif block.tag == f"{_W}tbl":
            lines += _table_lines(block, footnotes)
    return "\n".join(lines)


def _paragraph_text(paragraph: ElementTree.Element, footnotes: dict[str, str]) -> str:
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif node.tag == f"{_W}footnoteReference":
            note = footnotes.get(node.get(f"{_W}id", ""), "")
            if note:  # the footnote belongs to the sentence it is attached to
                parts.append(f" [chú thích: {note}]")
    return "".join(parts)


def _footnotes(root: ElementTree.Element) -> dict[str, str]:
    return {
        note.get(f"{_W}id", ""): " ".join(
            _paragraph_text(p, {}).strip() for p in note.iter(f"{_W}p")
        ).strip()
        for note in root.iter(f"{_W}footnote")
    }


#: (numbering id, level) -> (format, text): "decimal", "%1." ; "lowerLetter", "%2)".
_Levels = dict[tuple[str, int], tuple[str, str]]


def _numbering(root: ElementTree.Element) -> _Levels:
    """Word's automatic numbering (numbering.xml): each list's format by level, so "1.",
    "a)" kept there and not in the text come back."""
    abstract: dict[str, dict[int, tuple[str, str]]] = {}
    for node in root.iter(f"{_W}abstractNum"):
        formats: dict[int, tuple[str, str]] = {}
        for level in node.iter(f"{_W}lvl"):
            fmt = level.find(f"{_W}numFmt")
            text = level.find(f"{_W}lvlText")
            formats[int(level.get(f"{_W}ilvl", "0"))] = (
                fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                text.get(f"{_W}val", "") if text is not None else "",
            )
        abstract[node.get(f"{_W}abstractNumId", "")] = formats
    levels: _Levels = {}
    for num in root.iter(f"{_W}num"):
        ref = num.find(f"{_W}abstractNumId")
        formats = abstract.get(ref.get(f"{_W}val", "") if ref is not None else "", {})
        for ilvl, value in formats.items():
            levels[(num.get(f"{_W}numId", ""), ilvl)] = value
    return levels


def _number(
    paragraph: ElementTree.Element, levels: _Levels, counters: dict[tuple[str, int], int]
) -> str:
    """The number Word shows before a numbered paragraph ("2. ", "b) ", "- "), or ""."""
    props = paragraph.find(f"{_W}pPr/{_W}numPr")
    if props is None:
        return ""
    num = props.find(f"{_W}numId")
    lvl = props.find(f"{_W}ilvl")
    num_id = num.get(f"{_W}val", "") if num is not None else ""
    ilvl = int(lvl.get(f"{_W}val", "0")) if lvl is not None else 0
    if (num_id, ilvl) not in levels:
        return ""
    counters[(num_id, ilvl)] = counters.get((num_id, ilvl), 0) + 1
    for deeper in [key for key in counters if key[0] == num_id and key[1] > ilvl]:
        del counters[deeper]  # a new "2." starts its "a)" again
    fmt, text = levels[(num_id, ilvl)]
    if fmt == "bullet":
        return "- "
    shown = text
    for level in range(ilvl + 1):
        value = counters.get((num_id, level), 1)
        level_fmt = levels.get((num_id, level), ("decimal", ""))[0]
        shown = shown.replace(f"%{level + 1}", _formatted(value, level_fmt))
    return f"{shown} " if shown else ""


def _formatted(value: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return "abcdefghiklmnopqrstuvxy"[(value - 1) % 23]  # the Vietnamese alphabet's order
    if fmt == "upperLetter":
        return "ABCDEFGHIKLMNOPQRSTUVXY"[(value - 1) % 23]
    if fmt in ("lowerRoman", "upperRoman"):
        roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"][(value - 1) % 10]
        return roman.upper() if fmt == "upperRoman" else roman
    return str(value)


#: A table's header cells, by what the column holds.
_COLUMNS = {  # in this order: "Đơn vị phối hợp" is support before it is a lead
    "number": re.compile(r"^\s*(stt|tt|số)\s*$", re.IGNORECASE),
    "support": re.compile(r"phối hợp", re.IGNORECASE),
    "deadline": re.compile(r"thời hạn|hạn|thời gian", re.IGNORECASE),
    "content": re.compile(r"nội dung|nhiệm vụ|công việc", re.IGNORECASE),
    "lead": re.compile(r"chủ trì|thực hiện|đơn vị|cơ quan", re.IGNORECASE),
}


def _table_lines(table: ElementTree.Element, footnotes: dict[str, str]) -> list[str]:
    """A table of directives (No. | content | lead | support | deadline) as one line per
    row, its columns said in words the drafter reads ("… (X chủ trì, phối hợp với Y, hạn
    30/6/2025)"); any other table, one line per row, its cells joined."""
    rows = [
        [
            " ".join(_paragraph_text(p, footnotes).strip() for p in cell.iter(f"{_W}p")).strip()
            for cell in row.iter(f"{_W}tc")
        ]
        for row in table.iter(f"{_W}tr")
    ]
    if not rows:
        return []
    roles: dict[int, str] = {}
    for index, cell in enumerate(rows[0]):
        for role, pattern in _COLUMNS.items():
            if role not in roles.values() and pattern.search(cell):
                roles[index] = role
                break
    if "content" not in roles.values():
        return [" | ".join(c for c in row if c) for row in rows]
    lines = []
    for number, row in enumerate(rows[1:], start=1):
        cells = {roles[i]: c for i, c in enumerate(row) if i in roles and c}
        if "content" not in cells:
            continue
        said = []
        if "lead" in cells:
            said.append(f"{cells['lead']} chủ trì")
        if "support" in cells:
            said.append(f"phối hợp với {cells['support']}")
        if "deadline" in cells:
            said.append(f"hạn {cells['deadline']}")
        label = cells.get("number", str(number)).rstrip(".")
        text = cells["content"].rstrip(". ")
        lines.append(f"{label}. {text}" + (f" ({', '.join(said)})." if said else "."))
    return lines


def _pdf_text(raw: bytes, path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if b"%PDF-" not in raw[:1024]:  # a picture or a page renamed .pdf: say so, quietly
        raise ValidationError(f"Tệp {path} không phải tệp PDF đọc được.")
    quiet = logging.getLogger("pypdf")
    level, quiet.level = quiet.level, logging.ERROR  # its warnings are not the user's business
    try:
        reader = PdfReader(io.BytesIO(raw))
        # Layout mode: the plain mode splits a syllable at each stacked diacritic ("Th ườ ng").
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ValidationError(f"Tệp {path} không phải tệp PDF đọc được.") from exc
    finally:
        quiet.setLevel(level)
    # A PDF's lines are the page's, its paragraphs are separated by blank lines: join the
    # lines of a paragraph, keeping an item that starts on a line of its own.
    paragraphs: list[str] = []
    blank = True
    for raw_line in "\n".join(pages).splitlines():
        line = re.sub(r"\s{2,}", " ", raw_line).strip()
        if not line:
            blank = True
            continue
        if blank or _STARTS_ITEM.match(line) or not paragraphs:
            paragraphs.append(line)
        else:
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        blank = False
    return "\n".join(paragraphs)


_STARTS_ITEM = re.compile(r"^(\d{1,2}[.)]|[a-zđ][).]|[-–•+*])\s")
