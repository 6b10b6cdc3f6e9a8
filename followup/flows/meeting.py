"""The open-meeting flow: the coordinator's form in the Prefect UI that opens a meeting, typed
directive by directive or drafted from the conclusion notice and reviewed before anything is
sent."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.flow_runs import suspend_flow_run

from followup.orchestration.meeting_form import REVIEW_KEY, ReviewedMeeting
from followup.orchestration.names import OPEN_MEETING_FLOW
from followup.orchestration.resume_form import COORDINATOR
from followup.services.intake.meeting_files import DirectiveInput, MeetingInput
from followup.tasks.operations import create_meeting, draft_for_review

NOTHING_TO_OPEN = (
    "Chưa có nhiệm vụ nào: thêm nhiệm vụ vào biểu mẫu, hoặc dán thông báo kết luận vào ô "
    "'Thông báo kết luận' để máy soạn bản nháp."
)


@flow(name=OPEN_MEETING_FLOW, flow_run_name="Cuộc họp {meeting.code}")
def open_meeting_flow(
    meeting: MeetingInput,
    directives: list[DirectiveInput] = [],  # noqa: B006 - Prefect copies parameters
    notice_text: str = "",
    actor: str = COORDINATOR,
) -> dict[str, Any]:
    """Mở cuộc họp: tạo các nhiệm vụ, giao cho đơn vị, gửi thông báo và bắt đầu theo dõi.
    Không nhập nhiệm vụ mà dán thông báo kết luận: máy soạn bản nháp, chờ điều phối viên xem
    lại và gửi, rồi mới mở cuộc họp."""
    if not directives:
        if not notice_text.strip():
            raise ValueError(NOTHING_TO_OPEN)
        draft = draft_for_review(meeting, notice_text)
        form = ReviewedMeeting.with_initial_data(description=draft["description"], **draft["form"])
        # Suspended, not paused: no process waits for the review. On resume the flow runs
        # again from the top and this call returns the reviewed form at once.
        reviewed = suspend_flow_run(wait_for_input=form, key=REVIEW_KEY)
        meeting, directives = reviewed.meeting, reviewed.directives
        actor = reviewed.actor or actor  # who sent the reviewed form, when the desk says
    started = create_meeting(meeting, directives, actor)
    return {"meeting": meeting.code, "directives": started}
