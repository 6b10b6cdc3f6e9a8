"""What units and coordinators do to an assignment. Each call is one transaction: the state
change, its audit event and its notices are written together, or nothing is."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from followup.db.models import Assignment, ProgressReport
from followup.db.session import UnitOfWork
from followup.domain.clock import local_date
from followup.domain.errors import ValidationError
from followup.domain.policy import Role
from followup.domain.states import AssignmentState
from followup.notifications.render import NoticeKind
from followup.services.context import ServiceContext
from followup.services.loading import AssignmentRef, lock_assignment
from followup.services.notices import notify
from followup.services.tracking import move, reschedule

MAX_NOTE = 4000


@dataclass(frozen=True)
class AssignmentView:
    """A detached summary an action returns (never an ORM object)."""

    id: int
    directive_id: int
    directive_code: str
    unit_code: str
    state: AssignmentState
    due_on: date
    last_percent: int | None
    directive_version: int


def _view(a: Assignment) -> AssignmentView:
    return AssignmentView(
        id=a.id,
        directive_id=a.directive_id,
        directive_code=a.directive.code,
        unit_code=a.unit.code,
        state=AssignmentState(a.state),
        due_on=a.due_on,
        last_percent=a.last_percent,
        directive_version=a.directive.version,
    )


def clean_text(value: str, *, field: str, required: bool = False) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ValidationError(f"Cần nhập {field}.")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"{field.capitalize()} dài quá {MAX_NOTE} ký tự ({len(text)}).")
    return text


def _check_percent(percent: int) -> int:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError(
            f"Phần trăm tiến độ phải là số nguyên từ 0 đến 100, nhận '{percent}'."
        )
    return percent


def _audit(
    uow: UnitOfWork,
    a: Assignment,
    action: str,
    *,
    actor: str,
    previous: str,
    **details: object,
) -> None:
    uow.record(
        action,
        actor=actor,
        directive_id=a.directive_id,
        assignment_id=a.id,
        details={
            "directive": a.directive.code,
            "unit": a.unit.code,
            "from": previous,
            "to": a.state,
            **details,
        },
    )


def acknowledge(
    ctx: ServiceContext, ref: AssignmentRef | int, *, actor: str, note: str = ""
) -> AssignmentView:
    """The unit confirms it received the directive and takes it on."""
    note = clean_text(note, field="ghi chú")
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        previous = move(a, AssignmentState.ACKNOWLEDGED)
        a.acknowledged_at = now
        reschedule(ctx, a, local_date(now))
        _audit(uow, a, "assignment.acknowledged", actor=actor, previous=previous, note=note)
        notify(
            ctx,
            uow,
            a,
            NoticeKind.ACK_RECEIPT,
            role=Role.OFFICER,
            occasion="ack",
            extra={"acknowledged_at": now},
        )
        uow.commit()
        return _view(a)


def report_progress(
    ctx: ServiceContext, ref: AssignmentRef | int, *, percent: int, note: str, actor: str
) -> AssignmentView:
    """A progress report: percent done and what was done."""
    percent = _check_percent(percent)
    note = clean_text(note, field="nội dung báo cáo tiến độ", required=True)
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        previous = move(a, AssignmentState.IN_PROGRESS)
        a.last_progress_at = now
        a.last_percent = percent
        uow.session.add(
            ProgressReport(
                assignment_id=a.id,
                kind="progress",
                percent=percent,
                note=note,
                actor=actor,
                reported_at=now,
            )
        )
        reschedule(ctx, a, local_date(now))
        _audit(
            uow,
            a,
            "assignment.progress_reported",
            actor=actor,
            previous=previous,
            percent=percent,
            note=note,
        )
        uow.commit()
        return _view(a)


def report_done(
    ctx: ServiceContext, ref: AssignmentRef | int, *, note: str, actor: str
) -> AssignmentView:
    """The unit reports the work finished; a coordinator then verifies it."""
    note = clean_text(note, field="nội dung báo cáo hoàn thành", required=True)
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        previous = move(a, AssignmentState.REPORTED_DONE)
        a.reported_done_at = now
        a.last_percent = 100
        a.completed_on = local_date(now)
        uow.session.add(
            ProgressReport(
                assignment_id=a.id,
                kind="done",
                percent=100,
                note=note,
                actor=actor,
                reported_at=now,
            )
        )
        reschedule(ctx, a, local_date(now))
        _audit(uow, a, "assignment.reported_done", actor=actor, previous=previous, note=note)
        uow.commit()
        return _view(a)


def close(
    ctx: ServiceContext, ref: AssignmentRef | int, *, actor: str, note: str = ""
) -> AssignmentView:
    """A coordinator verifies the reported completion and closes the assignment."""
    note = clean_text(note, field="ghi chú")
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        previous = move(a, AssignmentState.CLOSED)
        a.closed_at = now
        a.next_check_on = None
        completed = a.completed_on or local_date(now)
        deadline = a.due_on if a.extension_approved else a.original_due_on
        on_time = completed <= deadline
        _audit(
            uow,
            a,
            "assignment.closed",
            actor=actor,
            previous=previous,
            note=note,
            completed_on=completed,
            on_time=on_time,
        )
        notify(
            ctx,
            uow,
            a,
            NoticeKind.CLOSURE,
            role=Role.OFFICER,
            occasion="closed",
            extra={"completed_on": completed, "on_time": on_time},
        )
        uow.commit()
        return _view(a)


def send_back(
    ctx: ServiceContext, ref: AssignmentRef | int, *, reason: str, actor: str
) -> AssignmentView:
    """A coordinator finds the reported completion insufficient and returns it to the unit."""
    reason = clean_text(reason, field="lý do trả lại", required=True)
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        reported_at: datetime | None = a.reported_done_at
        previous = move(a, AssignmentState.SENT_BACK)
        a.sent_back_at = now
        a.completed_on = None
        reschedule(ctx, a, local_date(now))
        _audit(uow, a, "assignment.sent_back", actor=actor, previous=previous, reason=reason)
        occasion = f"sent_back:{reported_at.isoformat() if reported_at else now.isoformat()}"
        notify(
            ctx,
            uow,
            a,
            NoticeKind.SEND_BACK,
            role=Role.OFFICER,
            occasion=occasion,
            extra={"reason": reason},
        )
        uow.commit()
        return _view(a)


def cancel(
    ctx: ServiceContext, ref: AssignmentRef | int, *, reason: str, actor: str
) -> AssignmentView:
    """A coordinator withdraws the assignment (the directive changed, the unit was wrong...)."""
    reason = clean_text(reason, field="lý do hủy", required=True)
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        previous = move(a, AssignmentState.CANCELLED)
        a.cancelled_at = now
        a.next_check_on = None
        _audit(uow, a, "assignment.cancelled", actor=actor, previous=previous, reason=reason)
        uow.commit()
        return _view(a)
