"""Meeting files in the shapes coordinators keep them: TOML, YAML, CSV and Excel (XLSX).

A spreadsheet has one row per directive (units in the "Đơn vị chủ trì" and "Đơn vị phối
hợp" columns) or one row per directive and unit (an "Đơn vị" and a "Vai trò" column, the
directive's other cells on its first row); the meeting's cells may sit on the first row only.
Headers are read without regard to case or diacritics, in Vietnamese or as the TOML keys.
Whatever the shape, every error names the file, the row or line, and the column or key, in
one sentence, and nothing is written (`meeting_templates` writes a file to start from)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from followup.domain.errors import ValidationError
from followup.domain.text import fold, nfc
from followup.services.intake.meeting_files import MeetingFile, explain, parse_toml_file

#: The columns of a meeting spreadsheet: key, Vietnamese header.
MEETING_COLUMNS = (
    ("meeting_code", "Mã cuộc họp"),
    ("meeting_title", "Tên cuộc họp"),
    ("held_on", "Ngày họp"),
    ("chair", "Người chủ trì"),
    ("notice_number", "Số thông báo"),
)
DIRECTIVE_COLUMNS = (
    ("code", "Mã nhiệm vụ"),
    ("title", "Tên ngắn"),
    ("text", "Nội dung chỉ đạo"),
    ("field", "Lĩnh vực"),
    ("priority", "Mức độ"),
    ("lead", "Đơn vị chủ trì"),
    ("support", "Đơn vị phối hợp"),
    ("deadline", "Thời hạn"),
    ("repeat", "Lặp lại"),
    ("repeat_until", "Lặp đến ngày"),
)
#: One row per directive and unit: the unit and its role instead of lead/support.
UNIT_COLUMNS = (("unit", "Đơn vị"), ("role", "Vai trò"))
HEADERS = dict(MEETING_COLUMNS + DIRECTIVE_COLUMNS + UNIT_COLUMNS)
MEETING_KEY = {"meeting_code": "code", "meeting_title": "title"}
_LEAD_ROLES = {"chu tri", "lead", "don vi chu tri"}
_SUPPORT_ROLES = {"phoi hop", "support", "don vi phoi hop", ""}
SUFFIXES = (".toml", ".yaml", ".yml", ".csv", ".xlsx")


@dataclass(frozen=True)
class ReadMeeting:
    meeting: MeetingFile
    #: Where each directive is in the file ("dòng 12"), in order.
    origins: tuple[str, ...]


def read_meeting_file(path: Path) -> ReadMeeting:
    """Any meeting file, validated; refused in one sentence naming file, place and field."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        meeting = parse_toml_file(path, MeetingFile)
        return ReadMeeting(meeting, _toml_origins(path, len(meeting.directives)))
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    if suffix in (".csv", ".xlsx"):
        rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
        return _from_rows(path, rows)
    raise ValidationError(
        f"Tệp {path}: không đọc được loại tệp '{suffix or '(không có đuôi)'}'; dùng .toml, "
        ".yaml, .csv hoặc .xlsx ('followup meeting template' tạo tệp mẫu)."
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc


def _text(path: Path) -> str:
    raw = _read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"Tệp {path} không phải UTF-8 (byte {exc.start}); lưu lại với bảng mã UTF-8."
        ) from exc


# ----------------------------------------------------------------------------- TOML, YAML


def _toml_origins(path: Path, count: int) -> tuple[str, ...]:
    lines = _text(path).splitlines()
    found = [f"dòng {n}" for n, line in enumerate(lines, 1) if line.strip() == "[[directives]]"]
    return tuple(found) if len(found) == count else ()


def _read_yaml(path: Path) -> ReadMeeting:
    text = _text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark is not None else ""
        raise ValidationError(
            f"Tệp {path} không đúng định dạng YAML{where} (kiểm tra thụt lề, dấu ':' và "
            "dấu '-' ở dòng đó)."
        ) from exc
    origins: tuple[str, ...] = ()
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "directives" and isinstance(value, yaml.SequenceNode):
                origins = tuple(f"dòng {item.start_mark.line + 1}" for item in value.value)
    try:
        meeting = TypeAdapter(MeetingFile).validate_python(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        line = _yaml_line(root, tuple(first["loc"]))
        keys = ", ".join(
            f"'{k}'" if isinstance(k, str) else f"mục thứ {k + 1}" for k in first["loc"]
        )
        raise ValidationError(f"Tệp {path}, dòng {line}, {keys}: {explain(first)}.") from exc
    return ReadMeeting(meeting, origins)


def _yaml_line(node: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node the error's path reaches."""
    line = 1 + (node.start_mark.line if node is not None else 0)
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            node = node.value[step] if step < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


# ----------------------------------------------------------------------------- tables

#: A row of a table: its number as the spreadsheet shows it, and its cells by key.
Row = tuple[int, dict[str, Any]]


def _columns(path: Path, header: list[Any]) -> dict[int, str]:
    """Column index → key, from the header row; an unknown header is refused."""
    wanted = {fold(label): key for key, label in HEADERS.items()}
    wanted.update({fold(key): key for key in HEADERS})
    wanted.update({"code": "code", "title": "title"})
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = nfc(str(cell)).strip() if cell is not None else ""
        if not name:
            continue
        key = wanted.get(fold(name))
        if key is None:
            known = ", ".join(label for _, label in DIRECTIVE_COLUMNS)
            raise ValidationError(
                f"Tệp {path}, dòng 1, cột '{name}': không phải cột của tệp cuộc họp (các cột: "
                f"{known}, …; 'followup meeting template' tạo tệp mẫu)."
            )
        if key in columns.values():
            raise ValidationError(f"Tệp {path}, dòng 1: cột '{name}' có hai lần.")
        columns[index] = key
    if "code" not in columns.values():
        raise ValidationError(f"Tệp {path}, dòng 1: thiếu cột 'Mã nhiệm vụ'.")
    return columns


def _cells(columns: dict[int, str], values: list[Any]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for index, key in columns.items():
        value = values[index] if index < len(values) else None
        if isinstance(value, str):
            value = nfc(value).strip()
        if value not in (None, ""):
            cells[key] = value
    return cells


def _csv_rows(path: Path) -> list[Row]:
    text = _text(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [(n, row) for n, row in enumerate(reader, 1) if any(c.strip() for c in row)]
    if not rows:
        raise ValidationError(f"Tệp {path} trống.")
    columns = _columns(path, list(rows[0][1]))
    return [(n, _cells(columns, list(row))) for n, row in rows[1:]]


def _xlsx_rows(path: Path) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(_read_bytes(path)), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(f"Tệp {path} không phải tệp Excel .xlsx đọc được.") from exc
    sheet = next((s for s in book.worksheets if fold(s.title) == "nhiem vu"), book.worksheets[0])
    rows = [
        (n, list(values))
        for n, values in enumerate(sheet.iter_rows(values_only=True), 1)
        if any(v not in (None, "") for v in values)
    ]
    book.close()
    if not rows:
        raise ValidationError(f"Tệp {path} trống.")
    columns = _columns(path, rows[0][1])
    return [(n, _cells(columns, values)) for n, values in rows[1:]]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def unit_list(value: Any) -> list[str]:
    return [u.strip() for u in re.split(r"[;\n]", str(value)) if u.strip()]


def _from_rows(path: Path, rows: list[Row]) -> ReadMeeting:
    if not rows:
        raise ValidationError(f"Tệp {path}: không có nhiệm vụ nào (chỉ có dòng tiêu đề).")
    meeting: dict[str, Any] = {}
    meeting_rows: dict[str, int] = {}
    directives: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    cell_rows: dict[tuple[str, str], int] = {}
    for number, cells in rows:
        for key, _ in MEETING_COLUMNS:
            if key in cells:
                name = MEETING_KEY.get(key, key)
                value = _plain(cells[key])
                if name in meeting and meeting[name] != value:
                    raise ValidationError(
                        f"Tệp {path}, dòng {number}, cột '{HEADERS[key]}': khác với dòng "
                        f"{meeting_rows[name]} ('{meeting[name]}'); một tệp là một cuộc họp."
                    )
                meeting[name], meeting_rows[name] = value, number
        code = cells.get("code")
        if code is None:
            raise ValidationError(f"Tệp {path}, dòng {number}, cột 'Mã nhiệm vụ': bị để trống.")
        code = str(_plain(code))
        item = directives.setdefault(code, {"code": code, "support": []})
        first_row.setdefault(code, number)
        for key, _ in DIRECTIVE_COLUMNS:
            if key in ("code", "support") or key not in cells:
                continue
            value = _plain(cells[key])
            if key in item and item[key] != value:
                raise ValidationError(
                    f"Tệp {path}, dòng {number}, cột '{HEADERS[key]}': khác với dòng "
                    f"{cell_rows[(code, key)]} của cùng nhiệm vụ {code}."
                )
            item[key], cell_rows[(code, key)] = value, number
        if "support" in cells:
            item["support"] += unit_list(cells["support"])
            cell_rows.setdefault((code, "support"), number)
        if "unit" in cells:
            _add_unit(path, number, item, cells, cell_rows)
    data = {"meeting": meeting, "directives": list(directives.values())}
    codes = list(directives)
    try:
        parsed = TypeAdapter(MeetingFile).validate_python(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        if loc[:1] == ("meeting",):
            key = str(loc[1]) if len(loc) > 1 else "code"
            column = {v: k for k, v in MEETING_KEY.items()}.get(key, key)
            row = meeting_rows.get(key, rows[0][0])
        else:
            index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
            column = str(loc[2]) if len(loc) > 2 else "code"
            code = codes[index]
            row = cell_rows.get((code, column), first_row[code])
        raise ValidationError(
            f"Tệp {path}, dòng {row}, cột '{HEADERS.get(column, column)}': {explain(first)}."
        ) from exc
    return ReadMeeting(parsed, tuple(f"dòng {first_row[c]}" for c in codes))


def _add_unit(
    path: Path,
    number: int,
    item: dict[str, Any],
    cells: Mapping[str, Any],
    cell_rows: dict[tuple[str, str], int],
) -> None:
    role = fold(str(cells.get("role", "")))
    unit = str(cells["unit"])
    if role in _LEAD_ROLES:
        if "lead" in item and item["lead"] != unit:
            raise ValidationError(
                f"Tệp {path}, dòng {number}, cột 'Vai trò': nhiệm vụ {item['code']} đã có đơn "
                f"vị chủ trì ở dòng {cell_rows[(item['code'], 'lead')]}."
            )
        item["lead"] = unit
        cell_rows[(item["code"], "lead")] = number
    elif role in _SUPPORT_ROLES:
        if "lead" not in item and not role:
            item["lead"] = unit  # the first unit of a directive, with no role: it leads
            cell_rows[(item["code"], "lead")] = number
        else:
            item["support"].append(unit)
            cell_rows.setdefault((item["code"], "support"), number)
    else:
        raise ValidationError(
            f"Tệp {path}, dòng {number}, cột 'Vai trò': '{cells.get('role')}' không phải "
            "'chủ trì' hay 'phối hợp'."
        )
