"""Handlers of the assignment lifecycle: acknowledge, progress, done, close, send back, cancel.

Each takes its command and the receipt of what carried it in, and makes one `Change` (one
transaction). Call them through `followup.services.write.bus.execute`, never directly: `execute`
wakes the directive's run after the commit.
"""

from __future__ import annotations

from followup.domain.clock import local_date
from followup.domain.states import AssignmentState
from followup.domain.vocabulary import AuditAction, NoticeKind
from followup.services.context import ServiceContext
from followup.services.write.change import changing, check_percent, clean_text
from followup.services.write.commands import (
    Acknowledge,
    Cancel,
    Close,
    ReportDone,
    ReportProgress,
    SendBack,
)
from followup.services.write.results import AssignmentView, Receipt


def acknowledge(ctx: ServiceContext, cmd: Acknowledge, receipt: Receipt | None) -> AssignmentView:
    note = clean_text(cmd.note, field="ghi chú")
    with changing(ctx, cmd.target, AssignmentState.ACKNOWLEDGED, receipt) as change:
        change.a.acknowledged_at = change.now
        change.reschedule()
        change.audit(AuditAction.ACKNOWLEDGED, actor=cmd.actor, note=note)
        change.notify(NoticeKind.ACK_RECEIPT, occasion="ack", extra={"acknowledged_at": change.now})
    return change.returned()


def report_progress(
    ctx: ServiceContext, cmd: ReportProgress, receipt: Receipt | None
) -> AssignmentView:
    percent = check_percent(cmd.percent)
    note = clean_text(cmd.note, field="nội dung báo cáo tiến độ", required=True)
    with changing(ctx, cmd.target, AssignmentState.IN_PROGRESS, receipt) as change:
        change.a.last_progress_at = change.now
        change.a.last_percent = percent
        change.report("progress", percent, note, cmd.actor)
        change.reschedule()
        change.audit(AuditAction.PROGRESS_REPORTED, actor=cmd.actor, percent=percent, note=note)
    return change.returned()


def report_done(ctx: ServiceContext, cmd: ReportDone, receipt: Receipt | None) -> AssignmentView:
    note = clean_text(cmd.note, field="nội dung báo cáo hoàn thành", required=True)
    with changing(ctx, cmd.target, AssignmentState.REPORTED_DONE, receipt) as change:
        a = change.a
        a.reported_done_at = change.now
        a.last_percent = 100
        a.completed_on = local_date(change.now)
        change.report("done", 100, note, cmd.actor, cmd.evidence)
        change.reschedule()
        extra = {"evidence": cmd.evidence.audit()} if cmd.evidence else {}
        change.audit(AuditAction.REPORTED_DONE, actor=cmd.actor, note=note, **extra)
    return change.returned()


def close(ctx: ServiceContext, cmd: Close, receipt: Receipt | None) -> AssignmentView:
    note = clean_text(cmd.note, field="ghi chú")
    with changing(ctx, cmd.target, AssignmentState.CLOSED, receipt) as change:
        a = change.a
        a.closed_at = change.now
        a.next_check_on = None
        change.lapse_extension_requests()
        completed = a.completed_on or local_date(change.now)
        deadline = a.due_on if a.extension_approved else a.original_due_on
        on_time = completed <= deadline
        change.audit(
            AuditAction.CLOSED,
            actor=cmd.actor,
            note=note,
            completed_on=completed,
            on_time=on_time,
        )
        change.notify(
            NoticeKind.CLOSURE,
            occasion="closed",
            extra={"completed_on": completed, "on_time": on_time},
        )
    return change.returned()


def send_back(ctx: ServiceContext, cmd: SendBack, receipt: Receipt | None) -> AssignmentView:
    reason = clean_text(cmd.reason, field="lý do trả lại", required=True)
    with changing(ctx, cmd.target, AssignmentState.SENT_BACK, receipt) as change:
        a = change.a
        # Each report of completion can be sent back once: key the notice on that report.
        occasion = f"sent_back:{(a.reported_done_at or change.now).isoformat()}"
        a.sent_back_at = change.now
        a.completed_on = None
        change.reschedule()
        change.audit(AuditAction.SENT_BACK, actor=cmd.actor, reason=reason)
        change.notify(NoticeKind.SEND_BACK, occasion=occasion, extra={"reason": reason})
    return change.returned()


def cancel(ctx: ServiceContext, cmd: Cancel, receipt: Receipt | None) -> AssignmentView:
    reason = clean_text(cmd.reason, field="lý do hủy", required=True)
    with changing(ctx, cmd.target, AssignmentState.CANCELLED, receipt) as change:
        change.a.cancelled_at = change.now
        change.a.next_check_on = None
        change.lapse_extension_requests()
        change.audit(AuditAction.CANCELLED, actor=cmd.actor, reason=reason)
    return change.returned()
