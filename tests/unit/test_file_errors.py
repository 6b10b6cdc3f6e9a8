"""Every mistake in a units or meeting file is one Vietnamese sentence naming the file, the
entry and the field; pydantic's English never reaches the reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup.domain.errors import ValidationError
from followup.services.intake.meeting_files import MeetingFile, UnitsFile, parse_toml_file

UNIT = '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\n'
CONTACT = '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "a@x.vn"\n'
MEETING = (
    '[meeting]\ncode = "M"\ntitle = "Họp"\nheld_on = "2021-03-09"\n'
    '[[directives]]\ncode = "D-1"\ntitle = "T"\ntext = "Nội dung"\nlead = "a"\n'
    'deadline = "5 ngày làm việc"\n'
)
ENGLISH = ("should", "Field required", "Input", "Extra inputs", "Expected", "valid")


@pytest.mark.parametrize(
    ("model", "text", "words"),
    [
        (UnitsFile, "[[unit]\ncode = 'x'", "không đúng định dạng TOML ở dòng 1, cột"),
        (UnitsFile, UNIT.replace('name = "A"\n', "") + CONTACT, "'name': thiếu mục bắt buộc"),
        (
            UnitsFile,
            UNIT + CONTACT.replace("a@x.vn", "không phải e-mail"),
            "'email': không phải địa chỉ e-mail hợp lệ ('không phải e-mail')",
        ),
        (UnitsFile, UNIT.replace('"commune"', '"xa"') + CONTACT, "'kind': phải là một trong"),
        (UnitsFile, UNIT + 'tel = "0203"\n' + CONTACT, "'tel': không có mục tên này"),
        (UnitsFile, UNIT.replace('code = "a"', 'code = "Hải Tiến"') + CONTACT, "chỉ gồm chữ"),
        (MeetingFile, MEETING.replace('"2021-03-09"', '"9 tháng 3"'), "không phải ngày hợp lệ"),
        (MeetingFile, MEETING.replace('title = "T"', 'title = ""'), "không được để trống"),
    ],
)
def test_a_mistake_is_one_vietnamese_sentence(
    tmp_path: Path, model: type, text: str, words: str
) -> None:
    path = tmp_path / "tep.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        parse_toml_file(path, model)
    message = str(info.value)
    assert str(path) in message
    assert words in message
    assert not [w for w in ENGLISH if w in message], message
    assert "\n" not in message
