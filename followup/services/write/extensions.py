"""Deadline extensions: a unit asks (from its e-mail link, or a coordinator records it), a
coordinator approves or refuses. Each step is one transaction with its audit event; the
assignment keeps its original deadline, so statistics still see what was first asked."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.db.models import ExtensionRequest
from followup.domain.calendar import WorkingDaysLater
from followup.domain.errors import ValidationError
from followup.domain.states import WORKING_STATES, AssignmentState
from followup.domain.vocabulary import AuditAction, NoticeKind, label
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.write.change import changing, clean_text
from followup.services.write.commands import (
    ApproveExtension,
    NewDeadline,
    RefuseExtension,
    RequestExtension,
)
from followup.services.write.results import AssignmentView, Receipt

#: The furthest a deadline may be pushed in one request.
MAX_EXTENSION = timedelta(days=366)
MAX_WORKING_DAYS = 250


def pending_request(session: Session, assignment_id: int) -> ExtensionRequest | None:
    return session.execute(
        select(ExtensionRequest).where(
            ExtensionRequest.assignment_id == assignment_id,
            ExtensionRequest.status == "pending",
        )
    ).scalar_one_or_none()


def _fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def request_extension(
    ctx: ServiceContext, cmd: RequestExtension, receipt: Receipt | None
) -> AssignmentView:
    """Ask for the deadline to move to `until` (a later working day), with a reason."""
    reason = clean_text(cmd.reason, field="lý do đề nghị gia hạn", required=True)
    actor = cmd.actor
    with changing(ctx, cmd.target, None, receipt) as change:
        a = change.a
        where = f"{a.directive.code}/{a.unit.code}"
        until = resolve_deadline(ctx, cmd.until, a.due_on)
        if AssignmentState(a.state) not in WORKING_STATES:
            raise ValidationError(
                f"Chỉ đề nghị gia hạn được khi nhiệm vụ đang thực hiện ({where} đang ở trạng "
                f"thái '{label(AssignmentState(a.state))}')."
            )
        check_new_deadline(ctx, until, a.due_on, what="Ngày đề nghị gia hạn")
        if pending_request(change.uow.session, a.id) is not None:
            raise ValidationError(
                f"{where} đã có một đề nghị gia hạn đang chờ xem xét; hãy chờ kết quả."
            )
        change.uow.session.add(
            ExtensionRequest(
                assignment_id=a.id,
                current_due_on=a.due_on,
                requested_due_on=until,
                reason=reason,
                requested_by=actor,
                requested_at=change.now,
                status="pending",
                decision_note="",
            )
        )
        change.audit(
            AuditAction.EXTENSION_REQUESTED,
            actor=actor,
            due_on=a.due_on,
            requested_due_on=until,
            reason=reason,
        )
    return change.returned()


def resolve_deadline(ctx: ServiceContext, value: NewDeadline, current: date) -> date:
    """A day as given, or "+N ngày làm việc" counted from the current deadline."""
    if isinstance(value, WorkingDaysLater):
        if not 1 <= value.days <= MAX_WORKING_DAYS:
            raise ValidationError(
                f"Số ngày làm việc gia hạn phải từ 1 đến {MAX_WORKING_DAYS}, nhận {value.days}."
            )
        return ctx.calendar.add_working_days(current, value.days)
    return value


def check_new_deadline(ctx: ServiceContext, until: date, current: date, *, what: str) -> None:
    """A later working day, at most a year after the current deadline."""
    if until <= current:
        raise ValidationError(f"{what} ({_fmt(until)}) phải sau hạn hiện tại {_fmt(current)}.")
    if until > current + MAX_EXTENSION:
        raise ValidationError(f"{what} ({_fmt(until)}) quá xa: tối đa một năm sau hạn hiện tại.")
    if not ctx.calendar.is_working_day(until):
        raise ValidationError(
            f"Ngày {_fmt(until)} là ngày nghỉ; hãy chọn một ngày làm việc "
            f"(gần nhất: {_fmt(ctx.calendar.add_working_days(until, 1))})."
        )


def approve_extension(
    ctx: ServiceContext, cmd: ApproveExtension, receipt: Receipt | None
) -> AssignmentView:
    """The deadline moves to the requested day (or to the day the coordinator gives); the
    original stays for the statistics."""
    note = clean_text(cmd.note, field="ghi chú")
    return _decide(
        ctx, cmd.target, approve=True, note=note, actor=cmd.actor, receipt=receipt, until=cmd.until
    )


def refuse_extension(
    ctx: ServiceContext, cmd: RefuseExtension, receipt: Receipt | None
) -> AssignmentView:
    """The deadline stays; the reason is required, since the unit is told it."""
    note = clean_text(cmd.reason, field="lý do từ chối", required=True)
    return _decide(ctx, cmd.target, approve=False, note=note, actor=cmd.actor, receipt=receipt)


def _decide(
    ctx: ServiceContext,
    target: AssignmentRef | int,
    *,
    approve: bool,
    note: str,
    actor: str,
    receipt: Receipt | None,
    until: NewDeadline | None = None,
) -> AssignmentView:
    """A coordinator approves (the deadline moves) or refuses (it stays) the pending request;
    the unit is told either way."""
    with changing(ctx, target, None, receipt) as change:
        a = change.a
        if AssignmentState(a.state).is_terminal:
            raise ValidationError(
                f"{a.directive.code}/{a.unit.code} đã '{label(AssignmentState(a.state))}': "
                "không còn xem xét gia hạn."
            )
        request = pending_request(change.uow.session, a.id)
        if request is None:
            raise ValidationError(
                f"{a.directive.code}/{a.unit.code} không có đề nghị gia hạn nào đang chờ xem xét."
            )
        request.status = "approved" if approve else "refused"
        request.decided_by = actor
        request.decided_at = change.now
        request.decision_note = note
        previous_due = a.due_on
        new_due = previous_due
        if approve:
            new_due = request.requested_due_on
            if until is not None:  # the coordinator grants another day than the one asked
                new_due = resolve_deadline(ctx, until, previous_due)
                check_new_deadline(ctx, new_due, previous_due, what="Hạn gia hạn")
            a.due_on = new_due
            a.extension_approved = True
            change.reschedule()
        change.audit(
            AuditAction.EXTENSION_APPROVED if approve else AuditAction.EXTENSION_REFUSED,
            actor=actor,
            due_on=previous_due,
            requested_due_on=request.requested_due_on,
            new_due_on=new_due,
            original_due_on=a.original_due_on,
            note=note,
        )
        change.notify(
            NoticeKind.EXTENSION_DECIDED,
            occasion=f"extension:{request.requested_at.isoformat()}",
            extra={
                "approved": approve,
                "requested_due_on": request.requested_due_on,
                "previous_due_on": previous_due,
                "new_due_on": new_due,
                "decision_note": note,
                "reason": request.reason,
            },
        )
    return change.returned()
