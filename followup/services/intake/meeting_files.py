"""Reading people's files (units, meetings) into validated inputs, with errors that say where."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.functional_validators import BeforeValidator
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from followup.domain.calendar import parse_day
from followup.domain.errors import ValidationError
from followup.domain.text import fold, visible


def _nfc(value: Any) -> Any:
    return visible(value).strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_nfc), StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[str, BeforeValidator(_nfc), StringConstraints(min_length=1, max_length=20000)]
Code = Annotated[
    str,
    BeforeValidator(_nfc),
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"),
]


# Intranet domains (`.local`, a ministry's own) are normal here, so no public-DNS rules.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
EmailAddress = Annotated[
    str,
    BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v),
    StringConstraints(
        max_length=320,
        pattern=EMAIL_PATTERN,
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ModelT = TypeVar("ModelT", bound=_Strict)


class ContactInput(_Strict):
    role: Literal["officer", "head", "leader"]
    name: Text
    title: Annotated[str, BeforeValidator(_nfc)] = ""
    email: EmailAddress


class UnitInput(_Strict):
    code: Code
    name: Text
    kind: Literal["commune", "department", "leadership"]
    parent: Code | None = None
    language: Literal["vi", "en"] = "vi"
    contacts: list[ContactInput] = Field(min_length=1)


class UnitsFile(_Strict):
    unit: list[UnitInput] = Field(min_length=1)


Plain = Annotated[str, BeforeValidator(_nfc)]
#: A date or "N ngày làm việc", as typed: NFC like every other text (a deadline typed in
#: decomposed Unicode must read the same as one typed composed).
DeadlineText = Annotated[
    str, BeforeValidator(lambda v: v.isoformat() if hasattr(v, "isoformat") else _nfc(v))
]


#: How the priorities read in the open-meeting form (files may use either word).
PRIORITY_LABELS = {"normal": "thường", "high": "cao", "urgent": "khẩn"}
_PRIORITY_OF = {vi: raw for raw, vi in PRIORITY_LABELS.items()}


def _priority(value: Any) -> Any:
    return _PRIORITY_OF.get(_nfc(value), _nfc(value)) if isinstance(value, str) else value


Priority = Annotated[
    Literal["normal", "high", "urgent"],
    BeforeValidator(_priority),
    # The form offers the Vietnamese words; what is stored is the raw value.
    WithJsonSchema({"type": "string", "enum": list(PRIORITY_LABELS.values())}),
]


#: How a repeating directive's period reads (files may use either word; "" does not repeat).
REPEAT_LABELS = {"month": "hằng tháng", "quarter": "hằng quý", "year": "hằng năm"}
_REPEAT_OF = {fold(vi): raw for raw, vi in REPEAT_LABELS.items()} | {
    fold(raw): raw for raw in REPEAT_LABELS
}
#: The form's choice for a directive done once (a select needs a value to show).
ONCE = "một lần"
_REPEAT_OF.update(
    {"hang thang": "month", "hang quy": "quarter", "hang nam": "year", "": "", fold(ONCE): ""}
)


def _repeat(value: Any) -> Any:
    if value is None:
        return ""
    return _REPEAT_OF.get(fold(str(value)), _nfc(value)) if isinstance(value, str) else value


Repeat = Annotated[
    Literal["", "month", "quarter", "year"],
    BeforeValidator(_repeat),
    WithJsonSchema({"type": "string", "enum": [ONCE, *REPEAT_LABELS.values()]}),
]


def _day(value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_day(value)
        if parsed is None:
            # A date error like pydantic's own, so `explain` words it like any other date.
            raise PydanticCustomError("date_parsing", "không hiểu ngày; nhập dạng dd/mm/yyyy")
        return parsed
    return value


#: A day typed dd/mm/yyyy (or yyyy-mm-dd, or a TOML date): the form shows a text box, not the
#: browser's US-style date picker.
DayText = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\s*$"}
    ),
]


def _optional_day(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _day(value)


#: A day that may be left blank: a plain text box in the form (an optional date would be drawn
#: with a type switch, "string" / "None", before anything can be typed).
OptionalDay = Annotated[
    date | None,
    BeforeValidator(_optional_day),
    WithJsonSchema(
        {
            "type": "string",
            "default": "",
            "pattern": r"^\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})?\s*$",
        }
    ),
]


#: How the open-meeting form offers a unit: its name, then its code in brackets, e.g.
#: "UBND xã Hải Tiến (xa-hai-tien)". What is stored is the code.
_CHOICE = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9._/-]*)\)\s*$")


def unit_choice(code: str, name: str) -> str:
    return f"{name} ({code})"


def unit_code_of(value: Any) -> Any:
    """A unit as the form offers it ("name (code)") or as a file names it (the code)."""
    if isinstance(value, str) and (found := _CHOICE.search(value)) is not None:
        return found.group(1)
    return value


#: A unit as a file or the form names it: its code, "name (code)", or its name as people
#: type it ("hai tien"), resolved against the units when the meeting is opened.
UnitCode = Annotated[
    str,
    BeforeValidator(_nfc),
    BeforeValidator(unit_code_of),
    StringConstraints(min_length=1, max_length=255),
]


class DirectiveInput(_Strict):
    """Một nhiệm vụ (the field titles are what the Prefect UI form shows)."""

    code: Code = Field(title="Mã nhiệm vụ", description="Ví dụ: MC-2021-03-09-01.")
    title: Text = Field(title="Tên ngắn")
    text: LongText = Field(title="Nội dung chỉ đạo")
    field: Plain = Field(default="", title="Lĩnh vực", description="Nông nghiệp, ngân sách...")
    priority: Priority = Field(default="thường", validate_default=True, title="Mức độ")
    lead: UnitCode = Field(title="Đơn vị chủ trì", description="Mã đơn vị, ví dụ xa-hai-tien.")
    support: list[UnitCode] = Field(default_factory=list, title="Đơn vị phối hợp")
    deadline: DeadlineText = Field(
        title="Thời hạn", description="Ngày (2021-04-30 hoặc 30/04/2021) hoặc 'N ngày làm việc'."
    )
    repeat: Repeat = Field(
        default="",
        validate_default=True,
        title="Lặp lại",
        description="Một lần, hoặc hằng tháng, hằng quý, hằng năm: mỗi kỳ mở một nhiệm vụ mới, "
        "hạn cùng ngày của kỳ.",
        json_schema_extra={"default": ONCE},  # the form shows the choice, not a blank
    )
    repeat_until: OptionalDay = Field(
        default=None,
        title="Lặp đến ngày",
        description="dd/mm/yyyy; để trống: không hết hạn.",
        json_schema_extra={"default": ""},  # the form's box starts empty, not "null"
    )


class MeetingInput(_Strict):
    """Cuộc họp / buổi làm việc."""

    code: Code = Field(title="Mã cuộc họp")
    title: Text = Field(title="Tên cuộc họp")
    held_on: DayText = Field(title="Ngày họp", description="dd/mm/yyyy, ví dụ 09/03/2021.")
    chair: Plain = Field(default="", title="Người chủ trì")
    notice_number: Plain = Field(
        default="", title="Số thông báo kết luận", description="45/TB-UBND"
    )
    source_text: Plain = Field(default="", title="Nội dung kết luận")


class MeetingFile(_Strict):
    meeting: MeetingInput
    directives: list[DirectiveInput] = Field(min_length=1)


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """Say where a pydantic error is: "'unit', mục thứ 3 (xa-hai-tien), 'email'"."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            code = node.get("code") if isinstance(node, dict) else None
            parts.append(f"mục thứ {item + 1}" + (f" ({code})" if code else ""))
        else:
            node = node.get(item) if isinstance(node, dict) else None
            parts.append(f"'{item}'")
    return ", ".join(parts) if parts else "tệp"


def explain(error: Mapping[str, Any]) -> str:
    """A pydantic error in Vietnamese, by its type (pydantic's own words are English)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    value = error.get("input")
    shown = f" ('{str(value)[:60]}')" if isinstance(value, str | int | float) else ""
    field = str(error["loc"][-1]) if error.get("loc") else ""
    if kind == "missing":
        return "thiếu mục bắt buộc này"
    if kind == "string_too_short" or (kind == "too_short" and isinstance(value, str)):
        return "không được để trống"
    if kind == "string_too_long":
        return f"dài quá {ctx.get('max_length', '')} ký tự"
    if kind == "string_pattern_mismatch" and field == "email":
        return f"không phải địa chỉ e-mail hợp lệ{shown}"
    if kind == "string_pattern_mismatch":
        return f"chỉ gồm chữ thường không dấu, số, dấu '-', '_', '/' hoặc '.'{shown}"
    if kind == "literal_error" and field == "priority":
        return f"phải là một trong: {', '.join(PRIORITY_LABELS.values())}{shown}"
    if kind == "literal_error" and field == "repeat":
        return f"để trống hoặc là một trong: {', '.join(REPEAT_LABELS.values())}{shown}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"phải là một trong: {expected}{shown}"
    if kind == "extra_forbidden":
        return "không có mục tên này (gõ nhầm tên mục?)"
    if kind.startswith(("date_", "datetime_")):
        return f"không phải ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd){shown}"
    if kind == "too_short":
        return f"cần ít nhất {ctx.get('min_length', 1)} mục"
    if kind.endswith(("_type", "_parsing")):
        return f"sai kiểu dữ liệu{shown}"
    return f"không hợp lệ{shown}"


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    """'Expected ... (at line 3, column 7)' → 'ở dòng 3, cột 7'."""
    found = re.search(r"line (\d+), column (\d+)", str(exc))
    return f" ở dòng {found.group(1)}, cột {found.group(2)}" if found else ""


def parse_toml_file(path: Path, model: type[ModelT]) -> ModelT:
    """Read and validate one TOML file; any problem is one sentence naming file and place."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"Tệp {path} không phải UTF-8 (byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            f"Tệp {path} không đúng định dạng TOML{_toml_problem(exc)} (kiểm tra dấu ngoặc, "
            "dấu nháy và dấu '=' ở dòng đó)."
        ) from exc
    try:
        return TypeAdapter(model).validate_python(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        raise ValidationError(
            f"Tệp {path}: {_where(tuple(first['loc']), data)}: {explain(first)}."
        ) from exc
