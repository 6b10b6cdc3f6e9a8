"""Reading the units of a started meeting as the form's choices, and saying in Vietnamese
every field of the parameters that does not fit the form."""

from __future__ import annotations

import unicodedata
from typing import Any

from prefect.utilities.schema_tools.validation import validate
from pydantic import ValidationError as PydanticValidationError

from followup.orchestration.meeting_form import TITLES
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import (
    DirectiveInput,
    MeetingFile,
    MeetingInput,
    explain,
    unit_choice,
)
from followup.services.write.commands import OpenMeeting
from followup.services.write.meetings import meeting_problems

UNIT_FIELDS = ("lead", "support")


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def as_choices(parameters: dict[str, Any], units: list[tuple[str, str]]) -> dict[str, Any]:
    """A copy of `parameters` whose units, named by code, by name or as the form's choice,
    read as the form's choice; a value that names no unit is left for the check to name."""
    if not units:
        return parameters
    choices: dict[str, str] = {}
    for code, name in units:
        choice = unit_choice(code, name)
        for spelling in (choice, code, name):
            choices.setdefault(_key(spelling), choice)

    def chosen(value: object) -> object:
        return choices.get(_key(value), value) if isinstance(value, str) else value

    directives = parameters.get("directives")
    if not isinstance(directives, list):
        return parameters
    read: list[object] = []
    for directive in directives:
        if isinstance(directive, dict):
            directive = dict(directive)
            if "lead" in directive:
                directive["lead"] = chosen(directive["lead"])
            if isinstance(directive.get("support"), list):
                directive["support"] = [chosen(v) for v in directive["support"]]
        read.append(directive)
    return parameters | {"directives": read}


def form_problems(parameters: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every field of `parameters` the form's schema refuses, each as "where: what", in the
    order of the form."""
    errors = validate(parameters, schema, raise_on_error=False)
    found: list[str] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        problem = f"{_where(list(error.absolute_path), schema)}: {_what(error, schema)}."
        if problem not in found:
            found.append(problem)
    return found


def _what(error: Any, schema: dict[str, Any]) -> str:
    field = error.absolute_path[-1] if error.absolute_path else None
    if error.validator == "enum":
        if field in UNIT_FIELDS or (
            len(error.absolute_path) > 1 and error.absolute_path[-2] == "support"
        ):
            return f"'{error.instance}' không có trong danh sách đơn vị"
        return f"'{error.instance}' không phải một lựa chọn của ô này"
    if error.validator == "required":
        given = error.instance if isinstance(error.instance, dict) else {}
        missing = [str(n) for n in error.validator_value if n not in given]
        titles = [_title_of([*error.absolute_path, n], schema) for n in missing]
        return "thiếu " + ", ".join(f"'{t}'" for t in titles)
    if error.validator == "type":
        return "sai kiểu dữ liệu"
    if error.validator in ("minLength", "minItems"):
        return "để trống"
    if error.validator in ("maxLength", "maxItems"):
        return "quá dài"
    if error.validator == "pattern":
        return f"'{error.instance}' không đúng dạng"
    return "không hợp lệ"


def _where(path: list[object], schema: dict[str, Any]) -> str:
    if not path:
        return "Tham số"
    parts: list[str] = []
    for index, step in enumerate(path):
        if isinstance(step, int):
            if path[index - 1] == "directives":
                parts.append(f"nhiệm vụ {step + 1}")
        elif index + 1 < len(path) and isinstance(path[index + 1], int) and step == "directives":
            continue  # "nhiệm vụ 2" says it
        else:
            parts.append(_title_of(path[: index + 1], schema))
    return " › ".join(parts)


def _title_of(path: list[object], schema: dict[str, Any]) -> str:
    """The title the form shows for the field at `path`, or its name."""
    if len(path) == 1 and path[0] in TITLES:
        return TITLES[str(path[0])]
    node: dict[str, Any] | None = schema
    for step in path:
        node = _resolved(node, schema)
        if node is None:
            break
        if isinstance(step, int):
            node = node.get("items") if isinstance(node.get("items"), dict) else None
        else:
            node = (node.get("properties") or {}).get(step)
    node = _resolved(node, schema)
    if node is not None and isinstance(node.get("title"), str):
        return str(node["title"])
    return str(path[-1])


def _resolved(node: dict[str, Any] | None, schema: dict[str, Any]) -> dict[str, Any] | None:
    for _ in range(5):  # a $ref to an allOf of a $ref is as deep as pydantic goes
        if node is None:
            return None
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            node = (schema.get("definitions") or {}).get(ref.rsplit("/", 1)[1])
            continue
        parts = node.get("allOf")
        if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
            node = {**parts[0], **{k: v for k, v in node.items() if k != "allOf"}}
            continue
        return node
    return node


def problems_of_parameters(
    ctx: ServiceContext, parameters: dict[str, Any], schema: dict[str, Any]
) -> list[str]:
    """The open-meeting parameters read as the flow reads them, then every reason opening
    them would be refused; none when there are no directives (a notice to draft from)."""
    if not parameters.get("directives"):
        return []
    read: list[str] = []
    try:
        meeting = MeetingInput.model_validate(parameters.get("meeting"))
    except PydanticValidationError as exc:
        read += [f"{_where(['meeting', *e['loc']], schema)}: {explain(e)}." for e in exc.errors()]
    directives: list[DirectiveInput] = []
    for index, given in enumerate(parameters["directives"]):
        try:
            directives.append(DirectiveInput.model_validate(given))
        except PydanticValidationError as exc:
            read += [
                f"{_where(['directives', index, *e['loc']], schema)}: {explain(e)}."
                for e in exc.errors()
            ]
    if read:
        return read
    command = OpenMeeting(
        meeting=MeetingFile(meeting=meeting, directives=directives),
        source=f"Cuộc họp {meeting.code}",
        actor="desk",
    )
    return meeting_problems(ctx, command)
