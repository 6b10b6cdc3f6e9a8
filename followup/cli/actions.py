"""The action commands, generated from one table: each row names a command of
`followup.services.write.commands`, where it sits in the CLI and which options it takes.
Every one of them runs through `bus.execute` (one transaction, then the run is woken)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import typer

from followup.cli.common import (
    Actor,
    DirectiveCode,
    UnitCode,
    context,
    default_actor,
    out,
    report_wakes,
    required_date,
)
from followup.domain.calendar import parse_new_deadline
from followup.domain.vocabulary import label
from followup.services.refs import AssignmentRef
from followup.services.write import commands as c
from followup.services.write.bus import execute
from followup.services.write.results import AssignmentView, DelegationView, EndedDelegations


@dataclass(frozen=True)
class Option:
    """One option of an action command: the command's field, its flag and help; a date is
    typed as dd/mm/yyyy; no default means required."""

    field: str
    flag: str
    help: str
    type: type = str
    default: Any = inspect.Parameter.empty


@dataclass(frozen=True)
class ActionCommand:
    group: str  # "" for the top level
    cli_name: str
    command: type[c.Command[Any]]
    help: str
    #: How the positional arguments become the command's fields.
    on: str  # "assignment" | "directive+unit" | "unit"
    options: tuple[Option, ...] = ()


class Later:
    """Marks an option typed as a later deadline: a day or "+N ngày làm việc"."""


NOTE = Option("note", "--note", "Ghi chú.", default="")

TABLE: tuple[ActionCommand, ...] = (
    ActionCommand(
        "",
        "ack",
        c.Acknowledge,
        "Ghi nhận đơn vị đã tiếp nhận nhiệm vụ (thay mặt đơn vị).",
        "assignment",
        (NOTE,),
    ),
    ActionCommand(
        "",
        "progress",
        c.ReportProgress,
        "Ghi nhận báo cáo tiến độ của đơn vị.",
        "assignment",
        (
            Option("percent", "--percent", "Phần trăm hoàn thành (0–100).", int),
            Option("note", "--note", "Nội dung báo cáo."),
        ),
    ),
    ActionCommand(
        "",
        "done",
        c.ReportDone,
        "Ghi nhận đơn vị báo cáo đã hoàn thành.",
        "assignment",
        (Option("note", "--note", "Nội dung báo cáo hoàn thành."),),
    ),
    ActionCommand(
        "", "close", c.Close, "Xác nhận hoàn thành và kết thúc phân công.", "assignment", (NOTE,)
    ),
    ActionCommand(
        "",
        "send-back",
        c.SendBack,
        "Trả lại báo cáo hoàn thành chưa đạt yêu cầu.",
        "assignment",
        (Option("reason", "--reason", "Lý do trả lại."),),
    ),
    ActionCommand(
        "",
        "cancel",
        c.Cancel,
        "Hủy phân công.",
        "assignment",
        (Option("reason", "--reason", "Lý do hủy."),),
    ),
    ActionCommand(
        "", "assign", c.Assign, "Giao thêm nhiệm vụ cho một đơn vị phối hợp.", "directive+unit"
    ),
    ActionCommand(
        "",
        "reassign",
        c.Reassign,
        "Chuyển phân công sang đơn vị khác (đơn vị mới nhận thư giao việc).",
        "assignment",
        (
            Option("to_unit", "--to", "Mã đơn vị nhận nhiệm vụ."),
            Option("reason", "--reason", "Lý do chuyển."),
        ),
    ),
    ActionCommand(
        "extension",
        "request",
        c.RequestExtension,
        "Ghi đề nghị gia hạn của đơn vị (ví dụ nhận qua điện thoại hoặc công văn).",
        "assignment",
        (
            Option(
                "until", "--until", "Hạn mới đề nghị (dd/mm/yyyy hoặc '+N ngày làm việc').", Later
            ),
            Option("reason", "--reason", "Lý do đề nghị gia hạn."),
        ),
    ),
    ActionCommand(
        "extension",
        "approve",
        c.ApproveExtension,
        "Đồng ý đề nghị gia hạn đang chờ: hạn mới có hiệu lực, hạn ban đầu vẫn được lưu.",
        "assignment",
        (
            Option("note", "--note", "Ý kiến.", default=""),
            Option(
                "until",
                "--until",
                "Hạn khác với hạn đề nghị (dd/mm/yyyy hoặc '+N ngày làm việc').",
                Later,
                default=None,
            ),
        ),
    ),
    ActionCommand(
        "extension",
        "refuse",
        c.RefuseExtension,
        "Không đồng ý đề nghị gia hạn đang chờ: hạn giữ nguyên.",
        "assignment",
        (Option("reason", "--reason", "Lý do không đồng ý."),),
    ),
    ActionCommand(
        "units",
        "delegate",
        c.Delegate,
        "Ủy quyền cán bộ phụ trách của đơn vị cho người làm thay trong một khoảng thời gian.",
        "unit",
        (
            Option("acting_name", "--to-name", "Họ tên người làm thay."),
            Option("acting_email", "--to-email", "E-mail người làm thay."),
            Option("starts_on", "--from", "Từ ngày (dd/mm/yyyy).", date),
            Option("ends_on", "--until", "Đến hết ngày (dd/mm/yyyy).", date),
            Option("reason", "--reason", "Lý do (nghỉ phép, đi công tác...).", default=""),
        ),
    ),
    ActionCommand(
        "units",
        "end-delegation",
        c.EndDelegation,
        "Kết thúc ủy quyền của đơn vị: thông báo lại gửi cho cán bộ phụ trách.",
        "unit",
        (Option("reason", "--reason", "Lý do (cán bộ đã trở lại, nhập nhầm...).", default=""),),
    ),
)


def _said(result: object) -> str:
    """What a committed command did, in one sentence."""
    if isinstance(result, AssignmentView):
        return f"{result.directive_code}/{result.unit_code} → {label(result.state)}."
    if isinstance(result, DelegationView):
        return (
            f"thông báo cho cán bộ phụ trách {result.unit_code} "
            f"({result.officer_name or 'chưa có'}) từ {result.starts_on:%d/%m/%Y} đến "
            f"{result.ends_on:%d/%m/%Y} gửi cho {result.acting_name} <{result.acting_email}>."
        )
    if isinstance(result, EndedDelegations):
        return f"Đã kết thúc {result.count} ủy quyền của {result.unit_code}."
    return "xong."


def _positional(spec: ActionCommand) -> list[inspect.Parameter]:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if spec.on == "unit":
        return [inspect.Parameter("unit", kind, annotation=UnitCode)]
    return [
        inspect.Parameter("directive", kind, annotation=DirectiveCode),
        inspect.Parameter("unit", kind, annotation=UnitCode),
    ]


def _fields(spec: ActionCommand, values: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"actor": values.pop("actor") or default_actor()}
    unit = values.pop("unit")
    if spec.on == "unit":
        fields["unit_code"] = unit
    elif spec.on == "directive+unit":
        fields |= {"directive_code": values.pop("directive"), "unit_code": unit}
    else:
        fields["target"] = AssignmentRef(values.pop("directive"), unit)
    for option in spec.options:
        value = values[option.field]
        if option.type is date:
            value = required_date(value, what=option.help.split(" (")[0])
        elif option.type is Later and value is not None:
            value = parse_new_deadline(value, where=option.flag)
        fields[option.field] = value
    return fields


def _function(spec: ActionCommand) -> Callable[..., None]:
    def run(**values: Any) -> None:
        command = spec.command(**_fields(spec, values))
        with context() as ctx:
            done = execute(ctx, command)
        out.print(
            f"{label(spec.command.name)}: {_said(done.result)}", highlight=False, soft_wrap=True
        )
        report_wakes(done.wakes)

    params = _positional(spec)
    for option in spec.options:
        typed: Any = option.type
        if option.type in (date, Later):
            typed = str if option.default is inspect.Parameter.empty else str | None
        params.append(
            inspect.Parameter(
                option.field,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[typed, typer.Option(option.flag, help=option.help)],
                default=option.default,
            )
        )
    params.append(
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, annotation=Actor, default="")
    )
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__doc__ = spec.help
    run.__name__ = spec.cli_name.replace("-", "_")
    return run


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add every action command of the table to the app and its groups."""
    for spec in TABLE:
        target = groups[spec.group] if spec.group else app
        target.command(spec.cli_name)(_function(spec))
