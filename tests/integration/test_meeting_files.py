"""Meeting files as coordinators keep them, on a real SQLite file and PostgreSQL: the templates
of `followup meeting template` (TOML, YAML, CSV, Excel) open the same meeting; a spreadsheet
with one row per directive and unit opens it too; every error names the file, the row or
line and the column, in one sentence, and leaves nothing written."""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from followup.db.models import Assignment, Directive, Meeting, Unit
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.errors import FollowupError
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.intake.meeting_templates import meeting_template
from followup.services.write.bus import execute
from followup.services.write.commands import OpenMeeting
from followup.services.write.meetings import meeting_from_file, meeting_problems
from followup.services.write.units import load_units_file
from tests.helpers import row_counts, run_cli, url_of

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "followup" / "demo" / "data" / "units.toml"
FORMATS = ("toml", "yaml", "csv", "xlsx")


@pytest.fixture
def org(ctx: ServiceContext, clock: ManualClock) -> ServiceContext:
    load_units_file(ctx, UNITS, actor="test")
    clock.set(start_of_local_day(date(2021, 3, 9)))
    return ctx


def _opened(ctx: ServiceContext) -> set[tuple[str, str, str, bool, date]]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(Meeting.code, Directive.code, Unit.code, Assignment.is_lead, Directive.due_on)
            .join(Directive, Directive.meeting_id == Meeting.id)
            .join(Assignment, Assignment.directive_id == Directive.id)
            .join(Unit, Unit.id == Assignment.unit_id)
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _count(ctx: ServiceContext) -> int:
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(Directive)).scalar_one()


EXPECTED = {
    ("MC-2021-03-09", "MC-2021-03-09-01", "xa-hai-tien", True, date(2021, 5, 31)),
    ("MC-2021-03-09", "MC-2021-03-09-01", "phong-nn", False, date(2021, 5, 31)),
    ("MC-2021-03-09", "MC-2021-03-09-01", "xa-hai-xuan", False, date(2021, 5, 31)),
    # 30 working days from Tue 9/3/2021 (no holiday in between).
    ("MC-2021-03-09", "MC-2021-03-09-02", "xa-hai-xuan", True, date(2021, 4, 20)),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_template_opens_the_same_meeting(
    org: ServiceContext, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"mau.{fmt}"
    path.write_bytes(meeting_template(fmt))
    execute(org, meeting_from_file(path, actor="test"))
    assert _opened(org) == EXPECTED


def _rows_per_unit() -> list[list[str]]:
    """Rows as a coordinator types them: one per directive and unit, names without marks."""
    table = """Mã cuộc họp|Ten cuoc hop|Ngày họp|Mã nhiệm vụ|Tên ngắn|Nội dung chỉ đạo|Thời hạn|Đơn vị|Vai trò
MC-2021-03-09|Làm việc với 5 xã|09/03/2021|MC-2021-03-09-01|Sửa chữa kênh mương, đê biển|Sửa chữa kênh mương.|31/05/2021|hai tien|chủ trì
|||MC-2021-03-09-01||||Phòng Nông nghiệp và Phát triển nông thôn|phối hợp
|||MC-2021-03-09-01||||UBND xã Hải Xuân|phoi hop
|||MC-2021-03-09-02|Hoàn thành thu ngân sách|Thu ngân sách.|30 ngày làm việc|xa-hai-xuan|"""  # noqa: E501
    return [line.split("|") for line in table.splitlines()]


def _write(rows: list[list[str]], path: Path) -> None:
    if path.suffix == ".csv":
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
        return
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nhiệm vụ"
    for row in rows:
        sheet.append(row)
    book.save(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_one_row_per_directive_and_unit(org: ServiceContext, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"theo-don-vi{suffix}"
    _write(_rows_per_unit(), path)
    execute(org, meeting_from_file(path, actor="test"))
    assert _opened(org) == EXPECTED


#: (file type, row as the spreadsheet numbers it, column index, new value, what the error says)
MISTAKES = [
    (".csv", 2, 5, "", "dòng 2, cột 'Nội dung chỉ đạo': thiếu mục bắt buộc này"),
    (".xlsx", 3, 7, "UBND xã Hải Tein", "dòng 2 (nhiệm vụ MC-2021-03-09-01), đơn vị phối hợp"),
    (".xlsx", 5, 6, "sáu tuần", "dòng 5 (nhiệm vụ MC-2021-03-09-02), hạn: không hiểu 'sáu tuần'"),
    (".csv", 2, 2, "31/02/2021", "dòng 2, cột 'Ngày họp': không phải ngày hợp lệ"),
    (".xlsx", 4, 8, "chủ trì", "dòng 4, cột 'Vai trò': nhiệm vụ MC-2021-03-09-01 đã có đơn vị"),
    (".csv", 4, 8, "theo dõi", "dòng 4, cột 'Vai trò': 'theo dõi' không phải 'chủ trì' hay"),
    (".csv", 1, 4, "Tên ngắnn", "dòng 1, cột 'Tên ngắnn': không phải cột của tệp cuộc họp"),
    (".xlsx", 3, 0, "MC-2021-03-10", "dòng 3, cột 'Mã cuộc họp': khác với dòng 2"),
    (".csv", 3, 3, "", "dòng 3, cột 'Mã nhiệm vụ': bị để trống"),
    (".xlsx", 2, 6, " 31/05/2021 ", None),  # spaces around a date are no mistake
]


@pytest.mark.parametrize(("suffix", "row", "column", "value", "says"), MISTAKES)
def test_errors_name_the_file_row_and_column_and_write_nothing(
    org: ServiceContext,
    tmp_path: Path,
    suffix: str,
    row: int,
    column: int,
    value: str,
    says: str | None,
) -> None:
    rows = _rows_per_unit()
    rows[row - 1][column] = value
    path = tmp_path / f"sai{suffix}"
    _write(rows, path)
    if says is None:
        execute(org, meeting_from_file(path, actor="test"))
        assert _count(org) == 2
        return
    with pytest.raises(FollowupError) as caught:
        execute(org, meeting_from_file(path, actor="test"))
    message = str(caught.value)
    assert str(path) in message
    assert says in message, message
    assert "\n" not in message
    assert _count(org) == 0


def test_an_unknown_unit_suggests_the_nearest_names_and_the_cli_exits_1(
    org: ServiceContext, tmp_path: Path
) -> None:
    rows = _rows_per_unit()
    rows[1][7] = "Hai Tein"
    path = tmp_path / "don-vi.csv"
    _write(rows, path)
    clock = tmp_path / "clock.txt"
    clock.write_text(start_of_local_day(date(2021, 3, 9)).isoformat(), encoding="utf-8")
    env = {**os.environ, "FOLLOWUP_CLOCK_FILE": str(clock), "FOLLOWUP_DATABASE_URL": url_of(org)}
    result = run_cli("meeting", "load", str(path), env=env)
    assert result.returncode == 1
    assert (
        "không có đơn vị mã 'Hai Tein'; có phải: UBND xã Hải Tiến (xa-hai-tien)?" in result.stderr
    )
    assert _count(org) == 0


def test_the_xlsx_template_explains_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "mau.xlsx"
    path.write_bytes(meeting_template("xlsx"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Nhiệm vụ", "Hướng dẫn"]
    sheet = book["Nhiệm vụ"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Mã cuộc họp", "Tên cuộc họp", "Ngày họp"]
    assert "Đơn vị phối hợp" in headers
    validations = sheet.data_validations.dataValidation
    assert any(v.formula1 == '"thường,cao,khẩn"' for v in validations)
    guide = {r[0].value for r in book["Hướng dẫn"].iter_rows(min_row=2)}
    assert set(headers) <= guide | {"Đơn vị, Vai trò"}


def _meeting(*directives: dict[str, object]) -> OpenMeeting:
    return OpenMeeting(
        meeting=MeetingFile(
            meeting=MeetingInput(code="KT-1", title="Họp thử", held_on="09/03/2021"),
            directives=[DirectiveInput(**d) for d in directives],  # type: ignore[arg-type]
        ),
        source="Cuộc họp KT-1",
        actor="test",
    )


GOOD = {"code": "KT-1-01", "title": "Kênh", "text": "Sửa kênh", "lead": "xa-hai-tien"}


def test_every_problem_of_a_meeting_is_found_at_once_and_nothing_is_written(
    org: ServiceContext,
) -> None:
    """A reviewed form or a script's start is checked whole before anything is opened: a
    deadline already past, a unit that does not exist, a support unit named twice (by code
    and by name), a lead also in support: each named, in one sentence; nothing written."""
    before = row_counts(org)
    cmd = _meeting(
        GOOD | {"deadline": "2021-05-31"},
        GOOD | {"code": "KT-1-02", "deadline": "2021-03-01"},
        GOOD | {"code": "KT-1-03", "deadline": "2021-05-31", "lead": "Văn phòng UBND tỉnh"},
        GOOD
        | {
            "code": "KT-1-04",
            "deadline": "2021-05-31",
            "support": ["phong-nn", "Phòng Nông nghiệp và Phát triển nông thôn"],
        },
        GOOD | {"code": "KT-1-05", "deadline": "2021-05-31", "support": ["UBND xã Hải Tiến"]},
    )
    problems = meeting_problems(org, cmd)
    assert len(problems) == 4, problems
    assert "nhiệm vụ thứ 2 (KT-1-02): hạn 01/03/2021 đã qua" in problems[0]
    assert "nhiệm vụ thứ 3 (KT-1-03), đơn vị chủ trì: không có đơn vị" in problems[1], problems
    assert "Văn phòng UBND tỉnh" in problems[1]
    assert problems[2].endswith(
        "(KT-1-04): đơn vị phối hợp 'Phòng Nông nghiệp và Phát triển nông thôn' được nêu hai lần."
    )
    assert "(KT-1-05): đơn vị 'UBND xã Hải Tiến' vừa chủ trì vừa phối hợp." in problems[3]
    assert row_counts(org) == before
    assert meeting_problems(org, _meeting(GOOD | {"deadline": "2021-05-31"})) == []
    # Opening it anyway is refused in one sentence (not a database error), nothing written.
    with pytest.raises(FollowupError, match="được nêu hai lần"):
        execute(org, _meeting(GOOD | {"deadline": "2021-05-31", "support": ["phong-nn"] * 2}))
    assert row_counts(org) == before
