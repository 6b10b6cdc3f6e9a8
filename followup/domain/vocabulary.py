"""One vocabulary: every value a person may read, with its Vietnamese and English label.

Outputs (CLI tables and messages, e-mails, pages, Prefect artifacts and forms) show
`label(value, lang)`, never the raw value. `tests/unit/test_vocabulary.py` checks that every
member of every enum registered here has both labels.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from followup.domain.escalation import DueKind, StepKind
from followup.domain.labels import Label
from followup.domain.lifecycle import STEP_LABELS, LifecycleStep
from followup.domain.policy import Role
from followup.domain.states import STATE_LABELS, AssignmentState
from followup.domain.status import FourWay


class CommandName(StrEnum):
    """What a person can do: one per command (see `followup.services.write.commands`)."""

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
    REQUEUE_NOTICES = "requeue_notices"
    ADD_ACCOUNT = "add_account"
    DISABLE_ACCOUNT = "disable_account"


class NoticeKind(StrEnum):
    """The e-mails followup sends (one template each, in `notifications/templates`)."""

    ASSIGNMENT = "assignment"
    ACK_RECEIPT = "ack_receipt"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    PROGRESS_REQUEST = "progress_request"
    CLOSURE = "closure"
    SEND_BACK = "send_back"
    #: To the unit a part was moved away from: it no longer does it.
    REASSIGNED_AWAY = "reassigned_away"
    EXTENSION_DECIDED = "extension_decided"
    DIGEST = "digest"
    #: A leader's escalations of one sweep, gathered into one e-mail.
    ESCALATIONS = "escalations"


class AuditAction(StrEnum):
    """What an audit event records (dotted names, as stored in the trail)."""

    MEETING_OPENED = "meeting.opened"
    DIRECTIVE_CREATED = "directive.created"
    #: A repeating directive's next occurrence opened (or skipped: its deadline had passed).
    OCCURRENCE_OPENED = "directive.occurrence_opened"
    OCCURRENCE_SKIPPED = "directive.occurrence_skipped"
    DIRECTIVE_INPUT_STALE = "directive.input_stale"
    DIRECTIVE_INPUT_REFUSED = "directive.input_refused"
    ASSIGNED = "assignment.assigned"
    ACKNOWLEDGED = "assignment.acknowledged"
    PROGRESS_REPORTED = "assignment.progress_reported"
    REPORTED_DONE = "assignment.reported_done"
    CLOSED = "assignment.closed"
    SENT_BACK = "assignment.sent_back"
    CANCELLED = "assignment.cancelled"
    REASSIGNED = "assignment.reassigned"
    REMINDED = "assignment.reminded"
    PROGRESS_REQUESTED = "assignment.progress_requested"
    ESCALATED = "assignment.escalated"
    EXTENSION_REQUESTED = "extension.requested"
    EXTENSION_APPROVED = "extension.approved"
    EXTENSION_REFUSED = "extension.refused"
    OFFICER_DELEGATED = "unit.officer_delegated"
    DELEGATION_ENDED = "unit.delegation_ended"
    UNIT_CREATED = "unit.created"
    UNIT_UPDATED = "unit.updated"
    ACCOUNT_ADDED = "account.added"
    ACCOUNT_DISABLED = "account.disabled"
    LINK_REFUSED = "link.refused"
    NOTICE_GIVEN_UP = "notice.given_up"
    NOTICE_REQUEUED = "notice.requeued"


class LinkRefusal(StrEnum):
    """Why a commune link or a page's form was refused (the audit's `reason`)."""

    FORGED = "forged"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    WRONG_ACTION = "wrong_action"
    OTHER_UNIT = "other_unit"
    NOT_RECIPIENT = "not_recipient"
    NOT_FOUND = "not_found"
    STATE_MOVED = "state_moved"
    CSRF = "csrf"
    BAD_FORM = "bad_form"
    EVIDENCE_TOO_LARGE = "evidence_too_large"
    EVIDENCE_BAD_TYPE = "evidence_bad_type"


class AccountRole(StrEnum):
    """What a signed-in person may do on the coordinators' desk (the Prefect UI)."""

    COORDINATOR = "coordinator"  # acts: resumes runs, opens meetings
    VIEWER = "viewer"  # leaders, inspectors: sees everything, changes nothing


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
    FAILING = "held-after-failures"


class InputOutcome(StrEnum):
    """What became of an input a directive's run received."""

    APPLIED = "applied"
    STALE = "stale"
    REFUSED = "refused"
    WAKE = "wake"
    DUPLICATE = "duplicate"


_ENTRIES: list[tuple[Enum, Label]] = [
    (FourWay.DONE_ON_TIME, Label("Hoàn thành đúng hạn", "Done on time")),
    (FourWay.DONE_LATE, Label("Hoàn thành quá hạn", "Done late")),
    (FourWay.OPEN_ON_TIME, Label("Đang thực hiện trong hạn", "Open, within deadline")),
    (FourWay.OVERDUE, Label("Quá hạn", "Overdue")),
    (Role.OFFICER, Label("cán bộ phụ trách", "officer in charge")),
    (Role.HEAD, Label("chủ tịch / thủ trưởng đơn vị", "head of the unit")),
    (Role.LEADER, Label("lãnh đạo thành phố phụ trách", "city leader in charge")),
    (DueKind.REMINDER, Label("nhắc hạn", "deadline reminder")),
    (DueKind.PROGRESS_REQUEST, Label("đề nghị báo cáo tiến độ", "progress report request")),
    (DueKind.ESCALATION, Label("đôn đốc", "escalation")),
    (StepKind.ACKNOWLEDGEMENT, Label("xác nhận tiếp nhận", "acknowledgement")),
    (StepKind.PROGRESS, Label("báo cáo tiến độ", "progress report")),
    (StepKind.DEADLINE, Label("hoàn thành đúng hạn", "completion by the deadline")),
    (NoticeKind.ASSIGNMENT, Label("giao nhiệm vụ", "assignment")),
    (NoticeKind.ACK_RECEIPT, Label("xác nhận đã tiếp nhận", "acknowledgement receipt")),
    (NoticeKind.REMINDER, Label("nhắc hạn", "reminder")),
    (NoticeKind.ESCALATION, Label("đôn đốc", "escalation")),
    (NoticeKind.PROGRESS_REQUEST, Label("đề nghị báo cáo tiến độ", "progress request")),
    (NoticeKind.CLOSURE, Label("kết thúc nhiệm vụ", "closure")),
    (NoticeKind.SEND_BACK, Label("trả lại báo cáo", "report sent back")),
    (
        NoticeKind.REASSIGNED_AWAY,
        Label("chuyển nhiệm vụ sang đơn vị khác", "moved to another unit"),
    ),
    (NoticeKind.EXTENSION_DECIDED, Label("kết quả xem xét gia hạn", "extension decision")),
    (NoticeKind.DIGEST, Label("thư tổng hợp", "digest")),
    (NoticeKind.ESCALATIONS, Label("đôn đốc gộp gửi lãnh đạo", "escalations gathered")),
    (AuditAction.MEETING_OPENED, Label("mở cuộc họp", "meeting opened")),
    (AuditAction.DIRECTIVE_CREATED, Label("tạo nhiệm vụ", "directive created")),
    (
        AuditAction.OCCURRENCE_OPENED,
        Label("mở kỳ mới của nhiệm vụ định kỳ", "repeating directive: next occurrence opened"),
    ),
    (
        AuditAction.OCCURRENCE_SKIPPED,
        Label(
            "bỏ qua kỳ đã quá hạn của nhiệm vụ định kỳ", "repeating directive: past period skipped"
        ),
    ),
    (
        AuditAction.DIRECTIVE_INPUT_STALE,
        Label("thao tác bị bỏ qua (nhiệm vụ đã thay đổi)", "input ignored (directive changed)"),
    ),
    (AuditAction.DIRECTIVE_INPUT_REFUSED, Label("thao tác bị từ chối", "input refused")),
    (AuditAction.ASSIGNED, Label("giao cho đơn vị", "assigned")),
    (AuditAction.ACKNOWLEDGED, Label("đơn vị tiếp nhận", "acknowledged")),
    (AuditAction.PROGRESS_REPORTED, Label("báo cáo tiến độ", "progress reported")),
    (AuditAction.REPORTED_DONE, Label("báo cáo hoàn thành", "reported done")),
    (AuditAction.CLOSED, Label("xác nhận hoàn thành, kết thúc", "verified and closed")),
    (AuditAction.SENT_BACK, Label("trả lại báo cáo hoàn thành", "sent back")),
    (AuditAction.CANCELLED, Label("hủy phân công", "cancelled")),
    (AuditAction.REASSIGNED, Label("chuyển cho đơn vị khác", "reassigned")),
    (AuditAction.REMINDED, Label("nhắc hạn", "reminded")),
    (AuditAction.PROGRESS_REQUESTED, Label("đề nghị báo cáo tiến độ", "progress requested")),
    (AuditAction.ESCALATED, Label("đôn đốc", "escalated")),
    (AuditAction.EXTENSION_REQUESTED, Label("đề nghị gia hạn", "extension requested")),
    (AuditAction.EXTENSION_APPROVED, Label("đồng ý gia hạn", "extension approved")),
    (AuditAction.EXTENSION_REFUSED, Label("không đồng ý gia hạn", "extension refused")),
    (AuditAction.OFFICER_DELEGATED, Label("ủy quyền cán bộ phụ trách", "officer delegated")),
    (AuditAction.DELEGATION_ENDED, Label("kết thúc ủy quyền", "delegation ended")),
    (AuditAction.UNIT_CREATED, Label("thêm đơn vị", "unit added")),
    (AuditAction.UNIT_UPDATED, Label("cập nhật đơn vị", "unit updated")),
    (AuditAction.ACCOUNT_ADDED, Label("tạo tài khoản", "account added")),
    (AuditAction.ACCOUNT_DISABLED, Label("khóa tài khoản", "account disabled")),
    (AuditAction.LINK_REFUSED, Label("liên kết bị từ chối", "link refused")),
    (AuditAction.NOTICE_GIVEN_UP, Label("thông báo không gửi được (ngừng thử)", "notice given up")),
    (AuditAction.NOTICE_REQUEUED, Label("gửi lại thông báo", "notice re-queued")),
    (LinkRefusal.FORGED, Label("liên kết không hợp lệ hoặc bị sửa", "forged or altered")),
    (LinkRefusal.EXPIRED, Label("liên kết hết hạn", "expired")),
    (LinkRefusal.REPLAYED, Label("liên kết đã dùng", "already used")),
    (LinkRefusal.WRONG_ACTION, Label("sai thao tác", "wrong action")),
    (LinkRefusal.OTHER_UNIT, Label("của nhiệm vụ hoặc đơn vị khác", "another unit's")),
    (
        LinkRefusal.NOT_RECIPIENT,
        Label("người nhận không còn phụ trách", "recipient no longer in charge"),
    ),
    (LinkRefusal.NOT_FOUND, Label("nhiệm vụ không còn", "work no longer exists")),
    (LinkRefusal.STATE_MOVED, Label("trạng thái đã thay đổi", "state already moved")),
    (LinkRefusal.CSRF, Label("phiên xác nhận không hợp lệ", "bad confirmation session")),
    (LinkRefusal.BAD_FORM, Label("dữ liệu gửi lên sai dạng", "malformed form")),
    (LinkRefusal.EVIDENCE_TOO_LARGE, Label("tệp minh chứng quá lớn", "evidence file too large")),
    (LinkRefusal.EVIDENCE_BAD_TYPE, Label("tệp minh chứng sai loại", "evidence of a refused type")),
    (InputOutcome.APPLIED, Label("đã thực hiện", "applied")),
    (
        InputOutcome.STALE,
        Label("bị bỏ qua vì nhiệm vụ đã thay đổi", "ignored: the directive has changed since"),
    ),
    (InputOutcome.REFUSED, Label("bị từ chối", "refused")),
    (InputOutcome.WAKE, Label("cập nhật lại tình trạng", "status refreshed")),
    (InputOutcome.DUPLICATE, Label("đã thực hiện trước đó", "already applied")),
    (CommandName.ACKNOWLEDGE, Label("Tiếp nhận nhiệm vụ", "Acknowledge")),
    (CommandName.PROGRESS, Label("Báo cáo tiến độ", "Report progress")),
    (CommandName.DONE, Label("Báo cáo hoàn thành", "Report completion")),
    (CommandName.CLOSE, Label("Xác nhận hoàn thành, kết thúc", "Verify and close")),
    (CommandName.SEND_BACK, Label("Trả lại báo cáo hoàn thành", "Send the report back")),
    (CommandName.CANCEL, Label("Hủy phân công", "Cancel the assignment")),
    (CommandName.ASSIGN, Label("Giao thêm cho đơn vị phối hợp", "Assign to one more unit")),
    (CommandName.REASSIGN, Label("Chuyển cho đơn vị khác", "Reassign to another unit")),
    (CommandName.REQUEST_EXTENSION, Label("Đề nghị gia hạn", "Request an extension")),
    (CommandName.APPROVE_EXTENSION, Label("Đồng ý gia hạn", "Approve the extension")),
    (CommandName.REFUSE_EXTENSION, Label("Không đồng ý gia hạn", "Refuse the extension")),
    (CommandName.DELEGATE, Label("Ủy quyền cán bộ phụ trách", "Delegate the officer")),
    (CommandName.END_DELEGATION, Label("Kết thúc ủy quyền", "End the delegation")),
    (CommandName.OPEN_MEETING, Label("Mở cuộc họp, giao nhiệm vụ", "Open a meeting")),
    (
        CommandName.REQUEUE_NOTICES,
        Label("Gửi lại thông báo không gửi được", "Re-queue undelivered notices"),
    ),
    (CommandName.ADD_ACCOUNT, Label("Tạo tài khoản điều phối", "Add an account")),
    (CommandName.DISABLE_ACCOUNT, Label("Khóa tài khoản", "Disable an account")),
    (AccountRole.COORDINATOR, Label("điều phối viên", "coordinator")),
    (AccountRole.VIEWER, Label("người xem", "viewer")),
    (
        WakeOutcome.RESUMED,
        Label("đã báo lượt theo dõi trên Prefect cập nhật", "the Prefect run was told to update"),
    ),
    (
        WakeOutcome.STARTED,
        Label("đã bắt đầu lượt theo dõi mới trên Prefect", "a new Prefect run was started"),
    ),
    (
        WakeOutcome.BUSY,
        Label(
            "lượt theo dõi trên Prefect đang chạy, sẽ tự cập nhật",
            "the Prefect run is running and will update itself",
        ),
    ),
    (
        WakeOutcome.UP_TO_DATE,
        Label("lượt theo dõi trên Prefect đã cập nhật", "the Prefect run is up to date"),
    ),
    (WakeOutcome.FINISHED, Label("nhiệm vụ đã kết thúc", "the directive is finished")),
    (
        WakeOutcome.UNREACHABLE,
        Label(
            "chưa liên lạc được Prefect; 'followup repair' sẽ cập nhật sau",
            "Prefect is unreachable; 'followup repair' will catch up",
        ),
    ),
    (
        WakeOutcome.NOT_CONFIGURED,
        Label("chưa đặt PREFECT_API_URL, không báo Prefect", "PREFECT_API_URL is not set"),
    ),
    (
        WakeOutcome.SKIPPED,
        Label("lượt theo dõi tự cập nhật ở lượt sau", "the run updates on its next pass"),
    ),
    (
        WakeOutcome.FAILING,
        Label(
            "lượt theo dõi trên Prefect lỗi nhiều lần liên tiếp, sẽ được thay sau",
            "the Prefect run keeps failing and will be replaced later",
        ),
    ),
]

# The states' labels sit beside the transition table, whose errors name them; the lifecycle
# steps' beside the steps (the run's task names are made from them).
_ENTRIES += [*STATE_LABELS.items(), *STEP_LABELS.items()]
#: Keyed by enum and value: members of different enums may share a value ("assignment" is a
#: notice kind and a lifecycle step), and StrEnum members with equal values are equal keys.
_LABELS: dict[tuple[type[Enum], object], Label] = {
    (type(member), member.value): text for member, text in _ENTRIES
}

#: The enums whose every member must have a label (checked by the tests).
LABELLED: tuple[type[Enum], ...] = (
    AssignmentState,
    FourWay,
    Role,
    DueKind,
    StepKind,
    NoticeKind,
    AuditAction,
    LinkRefusal,
    CommandName,
    AccountRole,
    WakeOutcome,
    InputOutcome,
    LifecycleStep,
)


def label(value: Enum, lang: str = "vi") -> str:
    """The person-facing text of an enum value; a value without a label is a bug."""
    return _LABELS[type(value), value.value](lang)
