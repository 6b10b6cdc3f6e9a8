"""The open-meeting flow: the coordinator's form in the Prefect UI that opens a meeting, typed
directive by directive or drafted from the conclusion notice and reviewed before anything is
sent."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.flow_runs import suspend_flow_run

from followup.orchestration.meeting_form import (
    ReviewedMeeting,
    answered_reviews,
    refused_note,
    review_key,
)
from followup.orchestration.names import OPEN_MEETING_FLOW
from followup.orchestration.resume_form import COORDINATOR
from followup.services.intake.meeting_files import DirectiveInput, MeetingInput
from followup.tasks.operations import check_meeting, create_meeting, draft_for_review

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
    answered = answered_reviews()
    if answered:
        # Run again after a review: only the last form sent counts (an earlier one that was
        # sent back must not open now because, say, a unit was added meanwhile).
        reviewed = suspend_flow_run(wait_for_input=ReviewedMeeting, key=review_key(answered))
        meeting, directives = reviewed.meeting, reviewed.directives
        actor = reviewed.actor or actor  # who sent the reviewed form, when the desk says
    while True:
        table = ""
        if directives:
            checked = check_meeting(meeting, directives)
            if not checked["problems"]:
                return _opened(meeting, directives, actor)
            values, problems, units = checked["form"], checked["problems"], checked["units"]
            if notice_text.strip():
                table = draft_for_review(meeting, notice_text)["description"]
        else:
            if not notice_text.strip():
                raise ValueError(NOTHING_TO_OPEN)
            draft = draft_for_review(meeting, notice_text)
            values, table, problems = draft["form"], draft["description"], []
            units = draft["units"]
        # Suspended, not paused: no process waits for the review. The run starts again from
        # the top when the form is sent, and the form sent is checked then; one with problems
        # is sent back under the next key, as it was sent (the coordinator's corrections
        # kept), with the reasons above and beside its fields.
        note = refused_note(problems) if problems else ""
        form = ReviewedMeeting.with_initial_data(
            description="\n\n".join(p for p in (note, table) if p) or None,
            notes={"directives": note} if note else None,
            units=units,
            **values,
        )
        answered += 1
        reviewed = suspend_flow_run(wait_for_input=form, key=review_key(answered))
        meeting, directives = reviewed.meeting, reviewed.directives
        actor = reviewed.actor or actor


def _opened(meeting: MeetingInput, directives: list[DirectiveInput], actor: str) -> dict[str, Any]:
    started = create_meeting(meeting, directives, actor)
    get_run_logger().info(
        "Đã mở cuộc họp %s: %d nhiệm vụ, %d lượt chạy.",
        meeting.code,
        len(directives),
        sum(1 for outcome in started.values() if outcome == "started"),
    )
    return {"meeting": meeting.code, "directives": started}
