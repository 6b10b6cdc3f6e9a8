"""The open-meeting flow: the coordinator's form in the Prefect UI that opens a meeting."""

from __future__ import annotations

from typing import Any

from prefect import flow

from followup.orchestration.names import OPEN_MEETING_FLOW
from followup.orchestration.resume_form import COORDINATOR
from followup.services.meeting_files import DirectiveInput, MeetingInput
from followup.tasks.operations import create_meeting


@flow(name=OPEN_MEETING_FLOW, flow_run_name="Cuộc họp {meeting.code}")
def open_meeting_flow(
    meeting: MeetingInput, directives: list[DirectiveInput], actor: str = COORDINATOR
) -> dict[str, Any]:
    """Mở cuộc họp: tạo các nhiệm vụ, giao cho đơn vị, gửi thông báo và bắt đầu theo dõi."""
    started = create_meeting(meeting, directives, actor)
    return {"meeting": meeting.code, "directives": started}
