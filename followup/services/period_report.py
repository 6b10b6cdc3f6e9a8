"""The four-way statistic and the overdue list of a period, computed from the audit trail as it
stood at the period's end.

Each assignment's dates (given, deadline, extension, completion, closure, cancellation, its
unit after any reassignment) are replayed from the events recorded up to the end of the
period's last day, so work done later, an extension approved later or a closure entered later
never changes a period that has ended. Every report names the event and hash of the chain it
was computed from: `followup audit verify --against HASH` later proves the chain up to it was
not rewritten."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, select

from followup.db.models import AuditEvent, Directive, Meeting, Unit
from followup.domain.clock import local_date
from followup.domain.periods import Period, choose_period
from followup.domain.status import AssignmentDates, FourWay, assignment_status, combined_status
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.reports import UnitStatus

#: The events that move an assignment's four-way dates, its unit or its ladder.
REPLAYED = (
    AuditAction.ASSIGNED,
    AuditAction.REASSIGNED,
    AuditAction.ACKNOWLEDGED,
    AuditAction.PROGRESS_REPORTED,
    AuditAction.REPORTED_DONE,
    AuditAction.SENT_BACK,
    AuditAction.CLOSED,
    AuditAction.CANCELLED,
    AuditAction.EXTENSION_APPROVED,
    AuditAction.ESCALATED,
)


class Dimension(StrEnum):
    UNIT = "unit"
    MEETING = "meeting"
    LEAD = "lead"
    FIELD = "field"


#: What each view counts and how its first column is headed.
DIMENSION_TITLES = {
    Dimension.UNIT: ("Đơn vị", "phần việc của từng đơn vị"),
    Dimension.MEETING: ("Cuộc họp", "nhiệm vụ"),
    Dimension.LEAD: ("Đơn vị chủ trì", "nhiệm vụ"),
    Dimension.FIELD: ("Lĩnh vực", "nhiệm vụ"),
}

NO_FIELD = "(chưa ghi lĩnh vực)"


@dataclass(frozen=True)
class ChainMark:
    """The last audit event a report read, and the chain's hash there (seq 0: empty)."""

    seq: int
    hash: str

    @property
    def short(self) -> str:
        return self.hash[:16]


@dataclass
class _Replayed:
    """One assignment's facts as the events up to the period's end tell them."""

    directive_id: int
    unit: str
    assigned_on: date
    original_due_on: date
    due_on: date
    extension_approved: bool = False
    completed_on: date | None = None
    closed_on: date | None = None
    cancelled_on: date | None = None
    escalation_level: int = 0
    last_action: str = ""
    last_action_on: date | None = None

    def dates(self) -> AssignmentDates:
        return AssignmentDates(
            assigned_on=self.assigned_on,
            original_due_on=self.original_due_on,
            due_on=self.due_on,
            extension_approved=self.extension_approved,
            completed_on=self.completed_on,
            closed_on=self.closed_on,
            cancelled_on=self.cancelled_on,
        )


@dataclass(frozen=True)
class PeriodOverdue:
    """One unit's work overdue at the period's end."""

    directive_code: str
    title: str
    unit_code: str
    unit_name: str
    original_due_on: date
    #: The extended deadline, when an extension was approved (None otherwise).
    extended_due_on: date | None
    days_late: int
    working_days_late: int
    escalation_level: int
    last_action: str
    last_action_on: date | None

    @property
    def due_on(self) -> date:
        return self.extended_due_on or self.original_due_on


@dataclass
class PeriodReport:
    period: Period
    #: The day the figures are of: the period's last day, or today for a period not yet over.
    as_of: date
    chain: ChainMark
    views: dict[Dimension, list[UnitStatus]] = field(default_factory=dict)
    overdue: list[PeriodOverdue] = field(default_factory=list)
    #: Events read to build it (progress bars and benchmarks).
    events_read: int = 0


Progress = Callable[[int], None]


def chain_mark_before(ctx: ServiceContext, period: Period) -> ChainMark:
    """The chain's last event recorded before the period ended."""
    with ctx.session_factory() as session:
        seq = session.execute(
            select(func.max(AuditEvent.seq)).where(AuditEvent.occurred_at < period.ends_before())
        ).scalar()
        if seq is None:
            return ChainMark(0, "0" * 64)
        digest = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar_one()
        return ChainMark(seq, digest)


def events_up_to(ctx: ServiceContext, period: Period) -> int:
    """How many assignment events a report of the period reads (to size a progress bar)."""
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.occurred_at < period.ends_before(),
                AuditEvent.assignment_id.is_not(None),
                AuditEvent.action.in_([a.value for a in REPLAYED]),
            )
        ).scalar_one()


def period_report(
    ctx: ServiceContext,
    period: Period,
    *,
    progress: Progress | None = None,
    batch: int = 5000,
) -> PeriodReport:
    """Every view of the period (by unit, meeting, lead unit, field) and its overdue list."""
    as_of = min(period.end, ctx.today())
    chain = chain_mark_before(ctx, period)
    facts, read = _replay(ctx, chain.seq, period.ends_before(), progress=progress, batch=batch)
    counted = {
        assignment_id: status
        for assignment_id, fact in facts.items()
        if (status := _counted_status(fact, period, as_of)) is not None
    }
    with ctx.session_factory() as session:
        units: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
        wanted = sorted({facts[a].directive_id for a in counted})
        directives = {
            row.id: row
            for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500))
            for row in session.execute(
                select(
                    Directive.id,
                    Directive.code,
                    Directive.title,
                    Directive.field,
                    Meeting.code.label("meeting_code"),
                    Meeting.title.label("meeting_title"),
                    Unit.code.label("lead_code"),
                    Unit.name.label("lead_name"),
                )
                .join(Meeting, Meeting.id == Directive.meeting_id)
                .join(Unit, Unit.id == Directive.lead_unit_id)
                .where(Directive.id.in_(chunk))
            )
        }
    report = PeriodReport(period=period, as_of=as_of, chain=chain, events_read=read)
    by_unit: dict[str, UnitStatus] = {}
    for assignment_id, status in counted.items():
        code = facts[assignment_id].unit
        by_unit.setdefault(code, UnitStatus(code, units.get(code, code))).counts[status] += 1
    report.views[Dimension.UNIT] = sorted(by_unit.values(), key=lambda r: r.unit_code)

    per_directive: dict[int, list[FourWay]] = {}
    for assignment_id, status in counted.items():
        per_directive.setdefault(facts[assignment_id].directive_id, []).append(status)
    keys: dict[Dimension, Callable[[int], tuple[str, str]]] = {
        Dimension.MEETING: lambda d: (directives[d].meeting_code, directives[d].meeting_title),
        Dimension.LEAD: lambda d: (directives[d].lead_code, directives[d].lead_name),
        Dimension.FIELD: lambda d: (directives[d].field or "", directives[d].field or NO_FIELD),
    }
    for dimension, key_of in keys.items():
        rows: dict[str, UnitStatus] = {}
        for directive_id, statuses in per_directive.items():
            combined = combined_status(statuses)
            if combined is None:  # pragma: no cover - every list holds a counted status
                continue
            code, name = key_of(directive_id)
            rows.setdefault(code, UnitStatus(code, name)).counts[combined] += 1
        report.views[dimension] = sorted(rows.values(), key=lambda r: r.unit_code)

    for assignment_id, status in counted.items():
        fact = facts[assignment_id]
        if status is not FourWay.OVERDUE or fact.completed_on is not None:
            continue
        d = directives[fact.directive_id]
        deadline = fact.dates().deadline
        report.overdue.append(
            PeriodOverdue(
                directive_code=d.code,
                title=d.title,
                unit_code=fact.unit,
                unit_name=units.get(fact.unit, fact.unit),
                original_due_on=fact.original_due_on,
                extended_due_on=fact.due_on if fact.extension_approved else None,
                days_late=(as_of - deadline).days,
                working_days_late=ctx.calendar.working_days_between(deadline, as_of),
                escalation_level=fact.escalation_level,
                last_action=fact.last_action,
                last_action_on=fact.last_action_on,
            )
        )
    report.overdue.sort(key=lambda r: (r.due_on, r.directive_code, r.unit_name))
    return report


def status_by_unit(ctx: ServiceContext, as_of: date) -> list[UnitStatus]:
    """The four-way by unit as of a day (units with nothing counted are left out)."""
    return period_report(ctx, choose_period(today=ctx.today(), end=as_of)).views[Dimension.UNIT]


def _counted_status(fact: _Replayed, period: Period, as_of: date) -> FourWay | None:
    """The assignment's status at the period's end, if it was in play during the period (given
    by its end, and not closed or cancelled before it began)."""
    if period.start is not None:
        if fact.closed_on is not None and fact.closed_on < period.start:
            return None
        if fact.cancelled_on is not None and fact.cancelled_on < period.start:
            return None
    return assignment_status(fact.dates(), as_of)


def _replay(
    ctx: ServiceContext,
    up_to_seq: int,
    ends_before: datetime,
    *,
    progress: Progress | None,
    batch: int,
) -> tuple[dict[int, _Replayed], int]:
    """Fold the assignment events up to `up_to_seq` into each assignment's facts."""
    details = AuditEvent.details
    query = (
        select(
            AuditEvent.action,
            AuditEvent.occurred_at,
            AuditEvent.assignment_id,
            AuditEvent.directive_id,
            details["unit"].as_string(),
            details["to_unit"].as_string(),
            details["due_on"].as_string(),
            details["new_due_on"].as_string(),
            details["completed_on"].as_string(),
            details["level"].as_integer(),
        )
        .where(
            AuditEvent.seq <= up_to_seq,
            # Both bounds: with a clock that went back (a simulation, a fixed server clock) a
            # later event can carry an earlier time; the period takes only what it had seen.
            AuditEvent.occurred_at < ends_before,
            AuditEvent.assignment_id.is_not(None),
            AuditEvent.action.in_([a.value for a in REPLAYED]),
        )
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    facts: dict[int, _Replayed] = {}
    read = 0
    with ctx.session_factory() as session:
        for rows in session.execute(query).partitions():
            for action, at, *rest in rows:
                _apply(facts, action, local_date(at), *rest)
            read += len(rows)
            if progress is not None:
                progress(read)
    return facts, read


def _apply(
    facts: dict[int, _Replayed],
    action: str,
    day: date,
    assignment_id: int,
    directive_id: int,
    unit: str | None,
    to_unit: str | None,
    due: str | None,
    new_due: str | None,
    done: str | None,
    level: int | None,
) -> None:
    if action == AuditAction.ASSIGNED:
        deadline = date.fromisoformat(due) if due else day
        facts[assignment_id] = _Replayed(directive_id, unit or "", day, deadline, deadline)
    fact = facts.get(assignment_id)
    if fact is None:  # an event of an assignment given before the trail began: not counted
        return
    fact.last_action, fact.last_action_on = action, day
    if action == AuditAction.REASSIGNED:
        # The new unit takes the work from the start; the deadline stays (as `restart` does).
        fact.unit = to_unit or fact.unit
        fact.assigned_on = day
        fact.completed_on = None
        fact.escalation_level = 0
    elif action == AuditAction.REPORTED_DONE:
        fact.completed_on = day
    elif action == AuditAction.SENT_BACK:
        fact.completed_on = None
    elif action == AuditAction.CLOSED:
        fact.closed_on = day
        fact.completed_on = date.fromisoformat(done) if done else fact.completed_on or day
    elif action == AuditAction.CANCELLED:
        fact.cancelled_on = day
    elif action == AuditAction.EXTENSION_APPROVED and new_due:
        fact.due_on = date.fromisoformat(new_due)
        fact.extension_approved = True
    elif action == AuditAction.ESCALATED and level:
        fact.escalation_level = max(fact.escalation_level, level)
