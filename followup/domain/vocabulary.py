"""One vocabulary: every value a person may read, with its Vietnamese and English label.

Outputs (CLI tables and messages, e-mails, pages, Prefect artifacts and forms) show
`label(value, lang)`, never the raw value. `tests/unit/test_vocabulary.py` checks that every
member of every enum registered here has both labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Literal

Language = Literal["vi", "en"]


@dataclass(frozen=True)
class Label:
    vi: str
    en: str

    def __call__(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


class CommandName(StrEnum):
    """What a person can do: one per command (see `followup.services.commands`)."""

    ACKNOWLEDGE = "acknowledge"
    PROGRESS = "progress"
    DONE = "done"
    CLOSE = "close"
    SEND_BACK = "send_back"
    CANCEL = "cancel"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    DELEGATE = "delegate"
    END_DELEGATION = "end_delegation"
    OPEN_MEETING = "open_meeting"


class WakeOutcome(StrEnum):
    """What happened when a directive's Prefect run was told to look at our database again."""

    RESUMED = "resumed"
    STARTED = "started"
    BUSY = "busy"
    UP_TO_DATE = "up-to-date"
    FINISHED = "finished"
    UNREACHABLE = "unreachable"
    NOT_CONFIGURED = "not-configured"
    SKIPPED = "skipped"


class InputOutcome(StrEnum):
    """What became of an input a directive's run received."""

    APPLIED = "applied"
    STALE = "stale"
    REFUSED = "refused"
    WAKE = "wake"
    DUPLICATE = "duplicate"


_LABELS: dict[Enum, Label] = {
    InputOutcome.APPLIED: Label("đã thực hiện", "applied"),
    InputOutcome.STALE: Label(
        "bị bỏ qua vì nhiệm vụ đã thay đổi", "ignored: the directive has changed since"
    ),
    InputOutcome.REFUSED: Label("bị từ chối", "refused"),
    InputOutcome.WAKE: Label("cập nhật lại tình trạng", "status refreshed"),
    InputOutcome.DUPLICATE: Label("đã thực hiện trước đó", "already applied"),
    CommandName.ACKNOWLEDGE: Label("Tiếp nhận nhiệm vụ", "Acknowledge"),
    CommandName.PROGRESS: Label("Báo cáo tiến độ", "Report progress"),
    CommandName.DONE: Label("Báo cáo hoàn thành", "Report completion"),
    CommandName.CLOSE: Label("Xác nhận hoàn thành, kết thúc", "Verify and close"),
    CommandName.SEND_BACK: Label("Trả lại báo cáo hoàn thành", "Send the report back"),
    CommandName.CANCEL: Label("Hủy phân công", "Cancel the assignment"),
    CommandName.ASSIGN: Label("Giao thêm cho đơn vị phối hợp", "Assign to one more unit"),
    CommandName.REASSIGN: Label("Chuyển cho đơn vị khác", "Reassign to another unit"),
    CommandName.REQUEST_EXTENSION: Label("Đề nghị gia hạn", "Request an extension"),
    CommandName.APPROVE_EXTENSION: Label("Đồng ý gia hạn", "Approve the extension"),
    CommandName.REFUSE_EXTENSION: Label("Không đồng ý gia hạn", "Refuse the extension"),
    CommandName.DELEGATE: Label("Ủy quyền cán bộ phụ trách", "Delegate the officer"),
    CommandName.END_DELEGATION: Label("Kết thúc ủy quyền", "End the delegation"),
    CommandName.OPEN_MEETING: Label("Mở cuộc họp, giao nhiệm vụ", "Open a meeting"),
    WakeOutcome.RESUMED: Label(
        "đã báo lượt theo dõi trên Prefect cập nhật", "the Prefect run was told to update"
    ),
    WakeOutcome.STARTED: Label(
        "đã bắt đầu lượt theo dõi mới trên Prefect", "a new Prefect run was started"
    ),
    WakeOutcome.BUSY: Label(
        "lượt theo dõi trên Prefect đang chạy, sẽ tự cập nhật",
        "the Prefect run is running and will update itself",
    ),
    WakeOutcome.UP_TO_DATE: Label(
        "lượt theo dõi trên Prefect đã cập nhật", "the Prefect run is up to date"
    ),
    WakeOutcome.FINISHED: Label("nhiệm vụ đã kết thúc", "the directive is finished"),
    WakeOutcome.UNREACHABLE: Label(
        "chưa liên lạc được Prefect; 'followup repair' sẽ cập nhật sau",
        "Prefect is unreachable; 'followup repair' will catch up",
    ),
    WakeOutcome.NOT_CONFIGURED: Label(
        "chưa đặt PREFECT_API_URL, không báo Prefect", "PREFECT_API_URL is not set"
    ),
    WakeOutcome.SKIPPED: Label(
        "lượt theo dõi tự cập nhật ở lượt sau", "the run updates on its next pass"
    ),
}

#: The enums whose every member must have a label (checked by the tests).
LABELLED: list[type[Enum]] = [CommandName, WakeOutcome, InputOutcome]


def register(labels: dict[Enum, Label], *enums: type[Enum]) -> None:
    """Add the labels of enums defined elsewhere in the domain (their modules call this)."""
    _LABELS.update(labels)
    LABELLED.extend(enums)


def label(value: Enum, lang: str = "vi") -> str:
    """The person-facing text of an enum value; a value without a label is a bug."""
    return _LABELS[value](lang)
