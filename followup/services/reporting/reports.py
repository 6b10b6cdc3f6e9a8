"""Answers coordinators ask of the trail: four-way status by unit, one directive's history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from followup.db import projection
from followup.db.audit import HEAD_ID, VerifyResult, verify_chain
from followup.db.models import (
    Assignment,
    AuditEvent,
    AuditHead,
    Directive,
    ExtensionRequest,
    Meeting,
    Unit,
)
from followup.db.projection import ProjectionCheck
from followup.db.session import reading
from followup.domain.clock import local_date, local_date_or_none
from followup.domain.errors import ValidationError
from followup.domain.escalation import StepKind
from followup.domain.states import AssignmentState
from followup.domain.status import AssignmentDates, FourWay, assignment_status
from followup.domain.text import decimal
from followup.services.context import ServiceContext
from followup.services.queries import consumed_count, directive_version, get_directive


@dataclass
class UnitStatus:
    unit_code: str
    unit_name: str
    counts: dict[FourWay, int] = field(default_factory=lambda: dict.fromkeys(FourWay, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def on_time_rate(self) -> float | None:
        """Done on time out of every assignment counted (None when there are none)."""
        return self.counts[FourWay.DONE_ON_TIME] / self.total if self.total else None


#: The totals row's name, and the on-time rate's heading (done on time out of all counted).
TOTAL = "Tổng"
RATE = "Tỷ lệ hoàn thành đúng hạn"


def totals_of(rows: list[UnitStatus]) -> UnitStatus:
    """The totals row of a four-way table."""
    total = UnitStatus("", TOTAL)
    for row in rows:
        for kind, count in row.counts.items():
            total.counts[kind] += count
    return total


def ladder_text(level: int) -> str:
    """The escalation ladder's rung reached, as people read it."""
    return f"cấp {level}" if level else "chưa"


def rate_text(rate: float | None) -> str:
    """A rate as Vietnamese write it: 71,4% (a dash when there is nothing to count)."""
    return "-" if rate is None else f"{decimal(rate * 100)}%"


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    unit: str | None
    details: dict[str, Any]


def timeline(ctx: ServiceContext, directive_code: str) -> tuple[Directive, list[TimelineEntry]]:
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        events = session.execute(
            select(
                AuditEvent.seq,
                AuditEvent.occurred_at,
                AuditEvent.actor,
                AuditEvent.action,
                AuditEvent.details,
            )
            .where(AuditEvent.directive_id == directive.id)
            .order_by(AuditEvent.seq)
        )
        return directive, [
            TimelineEntry(seq, at, actor, action, details.get("unit"), details)
            for seq, at, actor, action, details in events
        ]


def verify_audit(ctx: ServiceContext, against: str | None = None) -> VerifyResult:
    if against is not None:
        against = against.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{12,64}", against):
            raise ValidationError(
                f"Mã băm '{against}' không hợp lệ: cần ít nhất 12 ký tự 0-9, a-f (như trong báo "
                "cáo hay thư tổng hợp)."
            )
    with ctx.session_factory() as session:
        return verify_chain(reading(session), against=against)


def check_projection(ctx: ServiceContext) -> ProjectionCheck:
    """The reports' projection of the trail, compared with the trail version by version."""
    with ctx.session_factory() as session:
        return projection.verify(reading(session))


def rebuild_projection(ctx: ServiceContext) -> int:
    """Rebuild the reports' projection from the trail, holding the chain's head so that no
    event is appended meanwhile; returns the versions written."""
    with ctx.session_factory.begin() as session:
        session.execute(
            select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
        ).scalar_one()
        return projection.rebuild(session)


@dataclass(frozen=True)
class UnitRow:
    unit_code: str
    unit_name: str
    is_lead: bool
    state: AssignmentState
    due_on: date
    status: FourWay | None
    percent: int | None
    #: The later deadline the unit asked for, while a coordinator has not decided.
    extension_requested: date | None = None
    #: The escalation ladder: the step that stalled, its level and the day of the last rung.
    escalation_step: StepKind | None = None
    escalation_level: int = 0
    escalated_on: date | None = None
    #: Calendar days past the deadline (0 when not overdue).
    days_late: int = 0


@dataclass(frozen=True)
class DirectiveState:
    """What a directive's flow run needs to reconcile, detached from the session."""

    directive_id: int
    code: str
    title: str
    version: int
    consumed: int
    units: tuple[UnitRow, ...]
    meeting_code: str = ""

    @property
    def finished(self) -> bool:
        return all(u.state.is_terminal for u in self.units)


def directive_state(ctx: ServiceContext, directive_code: str) -> DirectiveState:
    """A directive's units and version read from one snapshot: the run suspends under the
    version, so a change committed between the two reads must not give a key that says
    "up to date" over units read before it."""
    today = ctx.today()
    with ctx.session_factory() as session:
        reading(session)
        directive = get_directive(session, directive_code)
        rows = session.execute(
            select(Assignment, Unit.code, Unit.name)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.directive_id == directive.id)
            .order_by(Assignment.is_lead.desc(), Unit.code)
        ).all()
        pending = session.execute(
            select(ExtensionRequest.assignment_id, ExtensionRequest.requested_due_on)
            .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
            .where(
                Assignment.directive_id == directive.id,
                ExtensionRequest.status == "pending",
            )
        ).all()
        asked: dict[int, date] = {row[0]: row[1] for row in pending}
        units = tuple(
            UnitRow(
                unit_code=code,
                unit_name=name,
                is_lead=a.is_lead,
                state=AssignmentState(a.state),
                due_on=a.due_on,
                percent=a.last_percent,
                status=assignment_status(assignment_dates(a), today),
                extension_requested=asked.get(a.id),
                escalation_step=_step_kind(a.escalation_step),
                escalation_level=a.escalation_level or 0,
                escalated_on=a.escalated_on,
                days_late=max(0, (today - a.due_on).days) if not a.completed_on else 0,
            )
            for a, code, name in rows
        )
        meeting_code = session.execute(
            select(Meeting.code).where(Meeting.id == directive.meeting_id)
        ).scalar_one()
        return DirectiveState(
            directive_id=directive.id,
            code=directive.code,
            title=directive.title,
            version=directive_version(session, directive.id),
            consumed=consumed_count(session, directive.id),
            units=units,
            meeting_code=meeting_code,
        )


def _step_kind(stored: str | None) -> StepKind | None:
    """The kind of a stored escalation step (`ack:2026-03-10` → acknowledgement)."""
    if not stored:
        return None
    try:
        return StepKind(stored.split(":", 1)[0])
    except ValueError:
        return None


def assignment_dates(a: Assignment) -> AssignmentDates:
    return AssignmentDates(
        assigned_on=local_date(a.assigned_at),
        original_due_on=a.original_due_on,
        due_on=a.due_on,
        extension_approved=a.extension_approved,
        completed_on=a.completed_on,
        closed_on=local_date_or_none(a.closed_at),
        cancelled_on=local_date_or_none(a.cancelled_at),
    )
