"""The text of a conclusion notice as a coordinator has it: a .txt file, a Word .docx or a PDF.

A .docx is read with the standard library (it is a zip of XML: paragraphs are `w:p`, text
runs `w:t`, tabs and breaks `w:tab`/`w:br`); a PDF with pypdf (pure Python, no model, no
network). Whatever the source, the result is NFC text with one paragraph per line."""

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
        root = ElementTree.fromstring(document)  # noqa: S314 - a local file the user chose
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ValidationError(f"Tệp {path} không phải tệp Word .docx đọc được.") from exc
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


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
