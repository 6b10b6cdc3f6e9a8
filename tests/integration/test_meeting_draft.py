"""`followup meeting draft` as a coordinator runs it, on a real SQLite file and PostgreSQL:
the Móng Cái notice as .txt, as a Word .docx and as a PDF printed by a real Chromium; the
draft refused by `meeting load` while it carries review marks (nothing written), and opened
once they are removed."""

from __future__ import annotations

import html
import re
import zipfile
from datetime import date
from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import func, select

from followup.db.models import Assignment, Directive, Meeting
from followup.domain.clock import start_of_local_day
from followup.domain.text import fold
from followup.services.intake.drafting import REVIEW_MARK
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "notices" / "mong-cai-2021-03-09.txt"
UNITS = ROOT / "followup" / "demo" / "data" / "units.toml"


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clock = tmp_path / "clock.txt"
    clock.write_text(start_of_local_day(date(2021, 3, 9)).isoformat(), encoding="utf-8")
    import os

    env = dict(os.environ)
    env["FOLLOWUP_DATABASE_URL"] = database_url
    env["FOLLOWUP_CLOCK_FILE"] = str(clock)
    env["FOLLOWUP_COORDINATOR_UNIT"] = "vp-hdnd-ubnd"
    return env


def _docx(text: str, path: Path) -> None:
    """A Word document as Word writes one: a zip of XML, a paragraph per line."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{html.escape(line)}</w:t></w:r></w:p>'
        for line in text.splitlines()
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="xml" ContentType="application/'
            'xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            f'openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )


def _directives(toml_text: str) -> list[str]:
    return re.findall(r'^text = "(.*)"', toml_text, flags=re.MULTILINE)


def test_a_notice_becomes_a_draft_that_loads_only_once_reviewed(
    database_url: str,
    tmp_path: Path,
    chromium: Browser,
) -> None:
    env = _env(database_url, tmp_path)
    assert run_cli("units", "load", str(UNITS), env=env).returncode == 0

    notice = tmp_path / "thong-bao.txt"
    notice.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("meeting", "draft", str(notice), "--code", "MC-2021-03-09", env=env)
    assert result.returncode == 0, result.stderr
    draft = tmp_path / "thong-bao.toml"
    text = draft.read_text(encoding="utf-8")
    marks = text.count(REVIEW_MARK)
    assert f"{len(_directives(text))} nhiệm vụ, {marks} chỗ cần kiểm tra" in result.stdout
    assert marks >= len(_directives(text)) >= 13
    assert 'lead = "UBND xã Quảng Nghĩa (xa-quang-nghia)"' in text  # names, and the code

    # Word and PDF copies of the same notice give the same directives.
    _docx(SEED.read_text(encoding="utf-8"), tmp_path / "thong-bao-word.docx")
    page = chromium.new_page()
    try:
        paragraphs = "".join(
            f"<p>{html.escape(line)}</p>" for line in SEED.read_text(encoding="utf-8").splitlines()
        )
        # One font with every Vietnamese letter, as Word's Times New Roman has: a font lacking
        # some (Liberation Serif: ự, ợ, ạ) makes Chromium switch fonts inside a word.
        page.set_content(
            '<html lang="vi"><meta charset="utf-8"><body style="font-family: \'DejaVu Sans\'">'
            f"{paragraphs}</body></html>"
        )
        page.pdf(path=str(tmp_path / "thong-bao-pdf.pdf"))
    finally:
        page.close()
    for copy in ("thong-bao-word.docx", "thong-bao-pdf.pdf"):
        result = run_cli("meeting", "draft", str(tmp_path / copy), "--code", "MC", env=env)
        assert result.returncode == 0, result.stderr
        again = (tmp_path / copy).with_suffix(".toml").read_text(encoding="utf-8")
        if copy.endswith(".docx"):
            assert _directives(again) == _directives(text)
        else:  # a PDF's lines are the page's: the same directives, the spacing may differ
            assert [fold(t).split() for t in _directives(again)] == [
                fold(t).split() for t in _directives(text)
            ]

    # Not reviewed: refused in one sentence naming the lines, nothing written.
    result = run_cli("meeting", "load", str(draft), env=env)
    assert result.returncode == 1
    assert f"còn {marks} chỗ cần kiểm tra" in result.stderr
    assert "chưa gửi gì" in result.stderr
    # Drafting twice over a file: refused without --force.
    result = run_cli("meeting", "draft", str(notice), env=env)
    assert result.returncode == 1
    assert "--force" in result.stderr

    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Meeting)).scalar_one() == 0

        draft.write_text(
            re.sub(rf"\s*{re.escape(REVIEW_MARK)}.*$", "", text, flags=re.MULTILINE),
            encoding="utf-8",
        )
        result = run_cli("meeting", "load", str(draft), env=env)
        assert result.returncode == 0, result.stderr
        with engine.connect() as conn:
            directives = conn.execute(select(func.count()).select_from(Directive)).scalar_one()
            assignments = conn.execute(select(func.count()).select_from(Assignment)).scalar_one()
        assert directives == len(_directives(text))
        assert assignments == 5 * directives  # every directive to the five communes
    finally:
        engine.dispose()


def test_a_notice_that_cannot_be_read_is_refused(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path)
    assert run_cli("units", "load", str(UNITS), env=env).returncode == 0
    cases = {
        "a.odt": "không đọc được loại tệp '.odt'",
        "b.docx": "không phải tệp Word .docx đọc được",
        "c.pdf": "không phải tệp PDF đọc được",
        "d.txt": "không phải UTF-8",
    }
    for name, words in cases.items():
        path = tmp_path / name
        path.write_bytes(b"\xff\xfe not what it says")
        result = run_cli("meeting", "draft", str(path), env=env)
        assert result.returncode == 1, name
        assert words in result.stderr, (name, result.stderr)
        assert str(path) in result.stderr
        assert not path.with_suffix(".toml").exists()
    # A picture renamed .pdf, or a PDF whose body is broken: one sentence, no library chatter.
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    for name, data in {"anh.pdf": png, "hong.pdf": b"%PDF-1.7\n" + png}.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = run_cli("meeting", "draft", str(path), env=env)
        assert result.returncode == 1, name
        said = result.stderr.strip()
        assert said == f"Lỗi: Tệp {path} không phải tệp PDF đọc được.", said
