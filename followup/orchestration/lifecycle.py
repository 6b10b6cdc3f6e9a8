"""A directive's four lifecycle steps as a coordinator reads them: one short Vietnamese
sentence per step ("4/5 đơn vị đã tiếp nhận; Vạn Ninh chưa — đã đôn đốc cấp 2 ngày 16/03"),
and the run's tags (what is late, whose turn it is) that the Prefect runs list filters by.

Pure functions of a `DirectiveState`: the run's step tasks and its tags read the same facts.
"""

from __future__ import annotations

from datetime import date

from followup.domain.escalation import StepKind
from followup.domain.lifecycle import LifecycleStep
from followup.domain.states import WORKING_STATES, AssignmentState
from followup.domain.status import FourWay
from followup.domain.text import shorten
from followup.services.reporting.reports import DirectiveState, UnitRow

S = AssignmentState

#: Tags a pass sets and replaces; tags a person added by hand are kept.
TAG_OVERDUE = "quá hạn"
TAG_WAITING_ACK = "chờ tiếp nhận"
TAG_WAITING_VERIFICATION = "chờ xác minh"
TAG_EXTENSION = "đề nghị gia hạn"
TAG_FINISHED = "đã kết thúc"
TAG_MEETING = "cuộc họp: "
TAG_LEAD = "chủ trì: "
STATUS_TAGS = (TAG_OVERDUE, TAG_WAITING_ACK, TAG_WAITING_VERIFICATION, TAG_EXTENSION, TAG_FINISHED)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m") if value is not None else "?"


def _names(units: list[UnitRow]) -> str:
    return ", ".join(u.unit_name for u in units)


def _escalated(u: UnitRow, step: StepKind | None = None) -> str:
    """ ", đã đôn đốc cấp 2 ngày 16/03" when the unit's ladder is climbing (on `step`)."""
    if not u.escalation_level or (step is not None and u.escalation_step is not step):
        return ""
    return f" — đã đôn đốc cấp {u.escalation_level} ngày {_day(u.escalated_on)}"


def _live(state: DirectiveState) -> list[UnitRow]:
    return [u for u in state.units if u.state is not S.CANCELLED]


def assignment_summary(state: DirectiveState, sent: int) -> str:
    live = _live(state)
    lead = next((u.unit_name for u in live if u.is_lead), "")
    text = f"Đã giao {len(live)} đơn vị" + (f" (chủ trì: {lead})" if lead else "")
    cancelled = len(state.units) - len(live)
    if cancelled:
        text += f"; {cancelled} phân công đã hủy"
    return text + (f"; lượt này gửi {sent} thư giao việc." if sent else ".")


def acknowledgement_summary(state: DirectiveState, sent: int) -> str:
    live = _live(state)
    waiting = [u for u in live if u.state is S.ASSIGNED]
    text = f"{len(live) - len(waiting)}/{len(live)} đơn vị đã tiếp nhận"
    if waiting:
        text += "; chưa: " + ", ".join(
            u.unit_name + _escalated(u, StepKind.ACKNOWLEDGEMENT) for u in waiting
        )
    return text + (f"; lượt này gửi {sent} thư." if sent else ".")


def progress_summary(state: DirectiveState, sent: int) -> str:
    working = [u for u in state.units if u.state in WORKING_STATES]
    if not working:
        text = "Không còn đơn vị đang thực hiện"
    else:
        parts = []
        for u in working:
            done = f" {u.percent}%" if u.percent is not None else " chưa báo cáo"
            late = f", quá hạn {u.days_late} ngày" if u.status is FourWay.OVERDUE else ""
            asked = (
                f", đề nghị gia hạn đến {u.extension_requested:%d/%m/%Y}"
                if u.extension_requested is not None
                else ""
            )
            climbing = "" if u.escalation_step is StepKind.ACKNOWLEDGEMENT else _escalated(u)
            parts.append(f"{u.unit_name}{done}{late}{asked}{climbing}")
        text = "Đang thực hiện: " + "; ".join(parts)
    return text + (f". Lượt này gửi {sent} thư." if sent else ".")


def closure_summary(state: DirectiveState, sent: int) -> str:
    live = _live(state)
    closed = [u for u in live if u.state is S.CLOSED]
    text = f"{len(closed)}/{len(live)} đơn vị đã kết thúc"
    to_verify = [u for u in live if u.state is S.REPORTED_DONE]
    if to_verify:
        text += f"; chờ xác minh: {_names(to_verify)}"
    sent_back = [u for u in live if u.state is S.SENT_BACK]
    if sent_back:
        text += f"; bị trả lại: {_names(sent_back)}"
    if state.finished:
        text += "; nhiệm vụ đã kết thúc"
    return text + (f"; lượt này gửi {sent} thư." if sent else ".")


SUMMARIES = {
    LifecycleStep.ASSIGNMENT: assignment_summary,
    LifecycleStep.ACKNOWLEDGEMENT: acknowledgement_summary,
    LifecycleStep.PROGRESS: progress_summary,
    LifecycleStep.CLOSURE: closure_summary,
}


def status_tags(state: DirectiveState) -> list[str]:
    """The run's tags from our state, so that the Prefect runs list filters by them."""
    units = _live(state)
    tags = [f"{TAG_MEETING}{state.meeting_code}"]
    lead = next((u for u in units if u.is_lead), None)
    if lead is not None:
        tags.append(f"{TAG_LEAD}{lead.unit_name}")
    if state.finished:
        return [*tags, TAG_FINISHED]
    if any(u.status is FourWay.OVERDUE for u in units):
        tags.append(TAG_OVERDUE)
    if any(u.state is S.ASSIGNED for u in units):
        tags.append(TAG_WAITING_ACK)
    if any(u.state is S.REPORTED_DONE for u in units):
        tags.append(TAG_WAITING_VERIFICATION)
    if any(u.extension_requested is not None for u in units):
        tags.append(TAG_EXTENSION)
    return tags


def ours(tag: str) -> bool:
    return tag in STATUS_TAGS or tag.startswith((TAG_MEETING, TAG_LEAD))


def run_name(state: DirectiveState, *, width: int = 60) -> str:
    """`F-01 · Nạo vét kênh mương…`: the code and a short title, for the runs list."""
    return f"{state.code} · {shorten(' '.join(state.title.split()), width)}"
