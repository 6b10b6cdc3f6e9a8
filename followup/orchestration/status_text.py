"""What a directive's run shows a coordinator: the text above its resume form."""

from __future__ import annotations

from followup.domain.states import WORKING_STATES, AssignmentState
from followup.domain.status import FourWay
from followup.domain.vocabulary import CommandName, label
from followup.orchestration.markdown import literal
from followup.services.read.story import StoryLine
from followup.services.reporting.reports import DirectiveState

__all__ = ["literal", "waiting_for"]


def _choice(name: CommandName) -> str:
    return f"“{label(name)}”"


def refusals(lines: list[StoryLine]) -> list[str]:
    """Why the latest attempts among `lines` changed nothing (the last three), one Markdown
    line each: the first thing the status artifact and the next resume form say."""
    refused = [line.reason or line.text for line in lines if line.refused_input]
    return [f"**⚠ Thao tác không được thực hiện:** {literal(r)}" for r in refused[-3:]]


def waiting_for(state: DirectiveState) -> str:
    """What this directive waits for, in Vietnamese Markdown: the run's resume form shows it
    to the coordinator above the form, and the status artifact repeats it."""
    lines = [f"**{literal(state.code)}** — {literal(state.title)}", ""]
    for u in state.units:
        due = u.due_on.strftime("%d/%m/%Y")
        who = f"**{literal(u.unit_name)}** ({literal(u.unit_code)})"
        if u.extension_requested is not None:
            asked = u.extension_requested.strftime("%d/%m/%Y")
            lines.append(
                f"- {who}: đề nghị gia hạn đến {asked} (hạn hiện tại {due}) — chờ điều phối "
                f"viên chọn {_choice(CommandName.APPROVE_EXTENSION)} hoặc "
                f"{_choice(CommandName.REFUSE_EXTENSION)}."
            )
        late = f" — **quá hạn {u.days_late} ngày**" if u.status is FourWay.OVERDUE else ""
        ladder = f", đã đôn đốc cấp {u.escalation_level}" if u.escalation_level else ""
        if u.state is AssignmentState.ASSIGNED:
            lines.append(
                f"- {who}: chờ đơn vị xác nhận tiếp nhận (hạn hoàn thành {due}){late}{ladder}."
            )
        elif u.state is AssignmentState.REPORTED_DONE:
            lines.append(
                f"- {who}: đã báo cáo hoàn thành — chờ điều phối viên "
                f"{_choice(CommandName.CLOSE)} hoặc {_choice(CommandName.SEND_BACK)}."
            )
        elif u.state in WORKING_STATES:
            done = f", đã làm {u.percent}%" if u.percent is not None else ""
            lines.append(f"- {who}: đang thực hiện{done}; chờ báo cáo (hạn {due}){late}{ladder}.")
    return "\n".join(lines)
