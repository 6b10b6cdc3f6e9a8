"""Text typed in decomposed (NFD) or mixed Unicode is read exactly as composed text, at every
boundary: meeting files (and the Prefect form, which is the same model), the CLI."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sqlalchemy import select

from followup.db.models import Directive
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput
from followup.services.write.bus import execute
from followup.services.write.meetings import meeting_from_file
from tests.conftest import DATA


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_a_decomposed_deadline_is_understood(loaded: ServiceContext, tmp_path: Path) -> None:
    meeting = (DATA / "meeting.toml").read_text(encoding="utf-8")
    text = meeting.replace('code = "MC-TEST"', 'code = "MC-NFD"').replace("T-0", "N-0")
    # Every deadline as "15 ngày làm việc", decomposed; the titles half decomposed (mixed).
    text = text.replace('deadline = "2021-03-31"', f'deadline = "{nfd("15 ngày làm việc")}"')
    text = text.replace("Sửa chữa", nfd("Sửa chữa"))
    path = tmp_path / "meeting-nfd.toml"
    path.write_text(text, encoding="utf-8")
    assert nfd("ngày") != "ngày"  # the file really holds decomposed letters

    opened = execute(loaded, meeting_from_file(path, actor="test")).result
    assert opened.directive_codes
    with loaded.session_factory() as session:
        titles = session.execute(
            select(Directive.title).where(Directive.code.in_(opened.directive_codes))
        ).scalars()
        assert all(unicodedata.is_normalized("NFC", t) for t in titles)


def test_the_prefect_form_model_reads_decomposed_text_too() -> None:
    item = DirectiveInput.model_validate(
        {
            "code": "F-01",
            "title": nfd("Nạo vét kênh"),
            "text": nfd("Hoàn thành trước mùa mưa bão"),
            "lead": "xa-hai-tien",
            "deadline": nfd("10 ngày làm việc"),
        }
    )
    assert item.deadline == "10 ngày làm việc"
    assert item.title == "Nạo vét kênh"
