"""What units and coordinators do to an assignment. Each call is one transaction: the state
change, its audit event and its notices are written together, or nothing is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from followup.db.models import Assignment, ExtensionRequest, FlowInput, ProgressReport
from followup.db.session import UnitOfWork
from followup.domain.clock import local_date
from followup.domain.errors import ValidationError
from followup.domain.policy import Role
from followup.domain.states import AssignmentState
from followup.domain.text import nfc
from followup.notifications.render import NoticeKind
from followup.services.context import ServiceContext
from followup.services.loading import AssignmentRef, directive_version, lock_assignment
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


def _view(a: Assignment, version: int) -> AssignmentView:
    return AssignmentView(
        id=a.id,
        directive_id=a.directive_id,
        directive_code=a.directive.code,
        unit_code=a.unit.code,
        state=AssignmentState(a.state),
        due_on=a.due_on,
        last_percent=a.last_percent,
        directive_version=version,
    )


def clean_text(value: str | None, *, field: str, required: bool = False) -> str:
    """Free text as we keep it: NFC, one kind of line break, no control characters other
    than line breaks and tabs, trimmed, at most MAX_NOTE characters."""
    text = nfc(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()
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


@dataclass(frozen=True)
class EvidenceFile:
    """A file sent with a report, already stored under its SHA-256 (see `web/evidence.py`)."""

    sha256: str
    name: str
    content_type: str
    size: int

    def audit(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "type": self.content_type,
            "size": self.size,
        }


class Receipt(Protocol):
    """What carried an action in (a flow run's input, a single-use link): written in the
    action's transaction, under a unique key, so the same carrier can never act twice."""

    def write(self, session: Session, assignment_id: int, now: datetime) -> None: ...


@dataclass(frozen=True)
class ConsumedInput:
    """A flow run's resume input this action carries out: recorded in the same transaction,
    under a unique (directive, pause key), so it can never be applied twice."""

    pause_key: str
    action: str
    directive_id: int

    def write(self, session: Session, assignment_id: int, now: datetime) -> None:
        session.add(
            FlowInput(
                directive_id=self.directive_id,
                pause_key=self.pause_key,
                action=self.action,
                outcome="applied",
                detail="",
                consumed_at=now,
            )
        )


@dataclass
class _Change:
    """One action in progress: the locked assignment, the state it left, the moment."""

    ctx: ServiceContext
    uow: UnitOfWork
    a: Assignment
    previous: str
    now: datetime
    #: What the action returns, set once committed.
    view: AssignmentView | None = None

    def audit(self, action: str, *, actor: str, **details: object) -> None:
        a = self.a
        self.uow.record(
            action,
            actor=actor,
            directive_id=a.directive_id,
            assignment_id=a.id,
            details={
                "directive": a.directive.code,
                "unit": a.unit.code,
                "from": self.previous,
                "to": a.state,
                **details,
            },
        )

    def notify(self, kind: NoticeKind, *, occasion: str, extra: dict[str, Any]) -> None:
        notify(self.ctx, self.uow, self.a, kind, role=Role.OFFICER, occasion=occasion, extra=extra)

    def lapse_extension_requests(self) -> None:
        """The work ended (closed or cancelled): a request still pending can no longer be
        decided, or approving it later would rewrite whether the work was on time."""
        self.uow.session.execute(
            update(ExtensionRequest)
            .where(
                ExtensionRequest.assignment_id == self.a.id,
                ExtensionRequest.status == "pending",
            )
            .values(
                status="lapsed",
                decided_at=self.now,
                decided_by="followup",
                decision_note=f"assignment {self.a.state}",
            )
        )

    def reschedule(self) -> None:
        reschedule(self.ctx, self.a, local_date(self.now))

    def report(
        self,
        kind: str,
        percent: int,
        note: str,
        actor: str,
        evidence: EvidenceFile | None = None,
    ) -> None:
        self.uow.session.add(
            ProgressReport(
                assignment_id=self.a.id,
                kind=kind,
                percent=percent,
                note=note,
                actor=actor,
                reported_at=self.now,
                evidence_sha256=evidence.sha256 if evidence else None,
                evidence_name=evidence.name if evidence else None,
                evidence_type=evidence.content_type if evidence else None,
                evidence_size=evidence.size if evidence else None,
            )
        )


def _returned(change: _Change) -> AssignmentView:
    if change.view is None:  # only reachable if the block swallowed its own exception
        raise RuntimeError("the action did not commit")
    return change.view


@contextmanager
def _changing(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    target: AssignmentState | None,
    consumed: Receipt | None = None,
) -> Iterator[_Change]:
    """Lock the assignment, move it to `target` (None: the state stays), let the caller record
    what else changed, then commit it all in one transaction (or nothing, if anything raised)."""
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        if consumed is not None:
            consumed.write(uow.session, a.id, now)
        previous = move(a, target) if target is not None else a.state
        change = _Change(ctx, uow, a, previous, now)
        yield change
        uow.commit()
        # Built before the session closes: the version is read after the commit numbered it.
        change.view = _view(a, directive_version(uow.session, a.directive_id))


def acknowledge(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    actor: str,
    note: str = "",
    consumed: Receipt | None = None,
) -> AssignmentView:
    """The unit confirms it received the directive and takes it on."""
    note = clean_text(note, field="ghi chú")
    with _changing(ctx, ref, AssignmentState.ACKNOWLEDGED, consumed) as change:
        change.a.acknowledged_at = change.now
        change.reschedule()
        change.audit("assignment.acknowledged", actor=actor, note=note)
        change.notify(NoticeKind.ACK_RECEIPT, occasion="ack", extra={"acknowledged_at": change.now})
    return _returned(change)


def report_progress(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    percent: int,
    note: str,
    actor: str,
    consumed: Receipt | None = None,
) -> AssignmentView:
    """A progress report: percent done and what was done."""
    percent = _check_percent(percent)
    note = clean_text(note, field="nội dung báo cáo tiến độ", required=True)
    with _changing(ctx, ref, AssignmentState.IN_PROGRESS, consumed) as change:
        change.a.last_progress_at = change.now
        change.a.last_percent = percent
        change.report("progress", percent, note, actor)
        change.reschedule()
        change.audit("assignment.progress_reported", actor=actor, percent=percent, note=note)
    return _returned(change)


def report_done(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    note: str,
    actor: str,
    evidence: EvidenceFile | None = None,
    consumed: Receipt | None = None,
) -> AssignmentView:
    """The unit reports the work finished, optionally with an evidence file; a coordinator
    then verifies it."""
    note = clean_text(note, field="nội dung báo cáo hoàn thành", required=True)
    with _changing(ctx, ref, AssignmentState.REPORTED_DONE, consumed) as change:
        a = change.a
        a.reported_done_at = change.now
        a.last_percent = 100
        a.completed_on = local_date(change.now)
        change.report("done", 100, note, actor, evidence)
        change.reschedule()
        extra = {"evidence": evidence.audit()} if evidence else {}
        change.audit("assignment.reported_done", actor=actor, note=note, **extra)
    return _returned(change)


def close(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    actor: str,
    note: str = "",
    consumed: Receipt | None = None,
) -> AssignmentView:
    """A coordinator verifies the reported completion and closes the assignment."""
    note = clean_text(note, field="ghi chú")
    with _changing(ctx, ref, AssignmentState.CLOSED, consumed) as change:
        a = change.a
        a.closed_at = change.now
        a.next_check_on = None
        change.lapse_extension_requests()
        completed = a.completed_on or local_date(change.now)
        deadline = a.due_on if a.extension_approved else a.original_due_on
        on_time = completed <= deadline
        change.audit(
            "assignment.closed", actor=actor, note=note, completed_on=completed, on_time=on_time
        )
        change.notify(
            NoticeKind.CLOSURE,
            occasion="closed",
            extra={"completed_on": completed, "on_time": on_time},
        )
    return _returned(change)


def send_back(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    reason: str,
    actor: str,
    consumed: Receipt | None = None,
) -> AssignmentView:
    """A coordinator finds the reported completion insufficient and returns it to the unit."""
    reason = clean_text(reason, field="lý do trả lại", required=True)
    with _changing(ctx, ref, AssignmentState.SENT_BACK, consumed) as change:
        a = change.a
        # Each report of completion can be sent back once: key the notice on that report.
        occasion = f"sent_back:{(a.reported_done_at or change.now).isoformat()}"
        a.sent_back_at = change.now
        a.completed_on = None
        change.reschedule()
        change.audit("assignment.sent_back", actor=actor, reason=reason)
        change.notify(NoticeKind.SEND_BACK, occasion=occasion, extra={"reason": reason})
    return _returned(change)


def cancel(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    *,
    reason: str,
    actor: str,
    consumed: Receipt | None = None,
) -> AssignmentView:
    """A coordinator withdraws the assignment (the directive changed, the unit was wrong...)."""
    reason = clean_text(reason, field="lý do hủy", required=True)
    with _changing(ctx, ref, AssignmentState.CANCELLED, consumed) as change:
        change.a.cancelled_at = change.now
        change.a.next_check_on = None
        change.lapse_extension_requests()
        change.audit("assignment.cancelled", actor=actor, reason=reason)
    return _returned(change)
