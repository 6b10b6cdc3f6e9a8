"""What a coordinator can send a suspended directive run: the Prefect UI builds its resume form
from this schema, and `resume_flow_run` is validated against the same schema.

The choices are the labels of the resume-form commands of `followup.services.write.commands`, so
the form speaks Vietnamese and lists exactly what the registry can do.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from prefect.input import RunInput
from pydantic import ConfigDict, Field, create_model

from followup.domain.vocabulary import CommandName, label
from followup.orchestration.keys import version_of
from followup.services.intake.meeting_files import unit_choice, unit_code_of
from followup.services.refs import AssignmentRef as Ref
from followup.services.write.commands import RESUME_FORM_COMMANDS, AssignmentCommand, from_form

#: The choice that changes nothing: the run only looks at our database again.
WAKE = "Chỉ cập nhật lại tình trạng"
#: Form choice → command. Raw names are accepted too (inputs stored by an older version,
#: scripts calling `resume_flow_run`).
CHOICES: dict[str, CommandName] = {label(kind.name): kind.name for kind in RESUME_FORM_COMMANDS}
_BY_NAME: dict[str, CommandName] = {kind.name.value: kind.name for kind in RESUME_FORM_COMMANDS}
COORDINATOR = "Điều phối viên (Prefect UI)"
#: The key of the form its author opened, stamped by the desk (`desk.forms_opened`): the
#: answer is checked against the state that form showed.
OPENED_UNDER = "opened_under"
#: 0–100, blank, or spaces around it; the server refuses anything else before the run wakes.
PERCENT_PATTERN = r"^\s*(100|[1-9]?[0-9])?\s*%?\s*$"

Choice = Literal[(WAKE, *CHOICES)]  # type: ignore[valid-type]


def stamped_actor(schema: dict[str, Any]) -> None:
    """The form does not show `actor` (nor `opened_under`): with sign-in on, the desk writes
    the signed-in person's name there (`followup.desk.gate`); without it, the default names
    the UI. The schema still admits the fields (as pattern properties, which the UI does not
    draw), so Prefect's server accepts the stamped input."""
    field = schema.get("properties", {}).pop("actor", None)
    if field is not None:
        schema.setdefault("patternProperties", {})["^actor$"] = {"type": "string", "maxLength": 255}
    if schema.get("properties", {}).pop(OPENED_UNDER, None) is not None:
        schema.setdefault("patternProperties", {})[f"^{OPENED_UNDER}$"] = {
            "type": "string",
            "pattern": r"^(v\d+-i\d+)?$",
        }


def _form_schema(schema: dict[str, Any]) -> None:
    """The actor is stamped, not drawn; a list of units starts with none chosen (no default),
    and the server refuses any action but a wake without one, before the run wakes."""
    stamped_actor(schema)
    unit = schema.get("properties", {}).get("unit", {})
    if "const" in unit:  # one unit: a list of one, not a fixed value the UI greys out
        unit["enum"] = [unit.pop("const")]
    if "enum" in unit:
        unit.pop("default", None)
        schema["if"] = {"properties": {"action": {"const": WAKE}}}
        schema["else"] = {"required": ["unit"]}


class CoordinatorAction(RunInput):
    """Thao tác của điều phối viên trên một đơn vị của nhiệm vụ này."""

    model_config = ConfigDict(json_schema_extra=_form_schema)

    action: Choice = Field(
        default=WAKE,
        title="Thao tác",
        description="Việc cần ghi nhận cho đơn vị đã chọn.",
    )
    unit: str = Field(
        default="", title="Mã đơn vị", description="Ví dụ: xa-hai-tien (xem bảng tình trạng)."
    )
    # Text, not `int | None`: the UI draws an optional number with a type switch ("int" /
    # "None") before anything can be typed; a plain box that takes 0–100 reads better.
    percent: str = Field(
        default="",
        pattern=PERCENT_PATTERN,
        title="Phần trăm",
        description="Cho báo cáo tiến độ: một số từ 0 đến 100.",
    )
    note: str = Field(
        default="",
        max_length=4000,
        title="Ghi chú / lý do",
        description="Nội dung báo cáo; lý do khi trả lại, hủy hoặc không đồng ý gia hạn.",
    )
    to_unit: str = Field(
        default="",
        max_length=64,
        title="Chuyển cho đơn vị (mã)",
        description="Chỉ khi chuyển cho đơn vị khác, ví dụ: xa-hai-dong.",
    )
    actor: str = Field(default=COORDINATOR, max_length=255, title="Người thực hiện")
    opened_under: str = Field(default="", pattern=r"^(v\d+-i\d+)?$", title="Biểu mẫu mở ở lượt")


def action_for_units(
    units: tuple[tuple[str, str], ...], waiting: str = ""
) -> type[CoordinatorAction]:
    """The resume form of one directive: `unit` becomes a choice among its own units (code,
    name), offered by name with none chosen, so the Prefect UI shows a list, a careless
    Submit acts on no unit, and the server refuses any other unit before the run wakes.

    `waiting` (what the directive waits for, Markdown) becomes the action's description: the
    UI shows a field's description in full, while it clips the form's own description to its
    first line at 1400×900."""
    if not units:
        return CoordinatorAction
    choice: Any = Literal[tuple(unit_choice(code, name) for code, name in units)]
    action = CoordinatorAction.model_fields["action"]
    model: type[CoordinatorAction] = create_model(
        "CoordinatorAction",
        __base__=CoordinatorAction,
        action=(
            Choice,
            Field(
                default=WAKE,
                title=action.title,
                # Each line its own paragraph: the field's renderer joins single line breaks.
                description="\n\n".join(filter(None, [*waiting.splitlines(), action.description])),
            ),
        ),
        unit=(
            choice,
            Field(
                default="",
                title="Đơn vị",
                description="Chọn đơn vị của nhiệm vụ này (bắt buộc, trừ khi chỉ cập nhật lại "
                "tình trạng).",
            ),
        ),
    )
    return model


def answered_against(key: str, raw: str | dict[str, Any]) -> int | None:
    """The directive version an answer filed under `key` was given against: the version of
    the form its author opened, where the desk says so and it is older, else the key's."""
    values: Any = raw
    if isinstance(raw, str):
        try:
            values = json.loads(raw)
        except ValueError:  # not ours to refuse here: the command is read on its own
            values = {}
    if not isinstance(values, dict):
        values = {}
    versions = [version_of(key), version_of(str(values.get(OPENED_UNDER) or ""))]
    known = [v for v in versions if v is not None]
    return min(known) if known else None


def wake_input() -> dict[str, Any]:
    """The input that only wakes a run (what `PrefectWaker` sends)."""
    return {"action": WAKE}


def command_from_input(directive_code: str, raw: str | dict[str, Any]) -> AssignmentCommand | None:
    """The command a stored form input carries (None for a wake). Read leniently, by label or
    raw name, so an input stored before the form changed is still carried out."""
    values: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw)
    choice = str(values.get("action") or WAKE)
    name = CHOICES.get(choice) or _BY_NAME.get(choice)
    if name is None:
        return None
    percent = _percent(values.get("percent"))
    return from_form(
        name,
        Ref(directive_code, str(unit_code_of(str(values.get("unit") or "").strip()))),
        actor=str(values.get("actor") or COORDINATOR),
        note=str(values.get("note") or ""),
        percent=percent,
        to_unit=str(values.get("to_unit") or "").strip(),
    )


def _percent(value: object) -> int | None:
    """The percent of a form input: text since the form changed, a number in older inputs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        digits = value.strip().rstrip("%").strip()
        return int(digits) if digits.isdigit() else None
    return None
