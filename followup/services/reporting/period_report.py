"""The four-way statistic and the overdue list of a period, computed from the audit trail as it
stood at the period's end.

Each assignment's dates (given, deadline, extension, completion, closure, cancellation, its
unit after any reassignment) are those the events recorded up to the end of the period's last
day tell, so work done later, an extension approved later or a closure entered later never
changes a period that has ended. They are read from the trail's projection
(`db.projection`: the versions valid at the period's chain mark, counted by one GROUP BY), or,
with `from_trail=True`, replayed from the trail itself, which is slower and says the same.
Every report names the event and hash of the chain it was computed from:
`followup audit verify --against HASH` later proves the chain up to it was not rewritten.

The projection path and the replay path are kept in this one module on purpose: they are two
readings of the same report that must agree, and the tests hold them equal; the rules of each
(what a period counts, the overdue list) sit side by side so a change to one is seen next to
the other. What a report holds is in `period_model`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Subquery, and_, case, func, or_, select
from sqlalchemy.orm import Session

from followup.db.models import (
    Assignment,
    AssignmentVersion,
    AuditEvent,
    Directive,
    Meeting,
    Unit,
)
from followup.db.projection import facts_of
from followup.db.session import reading
from followup.domain.clock import local_date
from followup.domain.periods import Period, choose_period
from followup.domain.replay import REPLAYED, AssignmentFacts, apply_event
from followup.domain.status import FourWay, assignment_status, combined_status
from followup.services.context import ServiceContext
from followup.services.reporting.period_model import (
    NO_FIELD,
    ChainMark,
    Dimension,
    PeriodOverdue,
    PeriodReport,
)
from followup.services.reporting.reports import UnitStatus

Progress = Callable[[int], None]

_ACTIONS = sorted(a.value for a in REPLAYED)


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
    """How many assignment events a replay of the period reads (to size a progress bar)."""
    mark = chain_mark_before(ctx, period)
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.seq <= mark.seq,
                AuditEvent.assignment_id.is_not(None),
                AuditEvent.action.in_(_ACTIONS),
            )
        ).scalar_one()


def period_report(
    ctx: ServiceContext,
    period: Period,
    *,
    views: tuple[Dimension, ...] = tuple(Dimension),
    overdue: bool = True,
    from_trail: bool = False,
    progress: Progress | None = None,
    batch: int = 5000,
) -> PeriodReport:
    """The period's views (by unit, meeting, lead unit, field) and its overdue list, read from
    the trail's projection, or replayed from the trail itself (`from_trail`, `progress`)."""
    as_of = min(period.end, ctx.today())
    chain = chain_mark_before(ctx, period)
    report = PeriodReport(period=period, as_of=as_of, chain=chain)
    with ctx.session_factory() as session:
        reading(session)  # a year replayed from the trail holds no writer back
        units: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
        if from_trail:
            facts, report.events_read = _replay(session, chain.seq, progress=progress, batch=batch)
            _fill_from_facts(ctx, session, report, facts, units, views, overdue)
        else:
            _fill_from_projection(ctx, session, report, units, views, overdue)
    report.overdue.sort(key=lambda r: (r.due_on, r.directive_code, r.unit_name))
    return report


def status_by_unit(ctx: ServiceContext, as_of: date) -> list[UnitStatus]:
    """The four-way by unit as of a day (units with nothing counted are left out)."""
    period = choose_period(today=ctx.today(), end=as_of)
    return period_report(ctx, period, views=(Dimension.UNIT,), overdue=False).views[Dimension.UNIT]


#: The four-way as a rank: a directive's combined status is its assignments' highest rank (done
#: only when all are done, late if one was late; otherwise overdue if one is overdue).
RANKED = (FourWay.DONE_ON_TIME, FourWay.DONE_LATE, FourWay.OPEN_ON_TIME, FourWay.OVERDUE)


def _counted(period: Period, as_of: date, mark: int) -> Subquery:
    """The versions valid at `mark` that count in the period, each with its four-way rank
    (`domain.status.assignment_status`, written as SQL)."""
    v = AssignmentVersion
    deadline = case((v.extension_approved, v.due_on), else_=v.original_due_on)
    closed = and_(v.closed_on.is_not(None), v.closed_on <= as_of)
    rank = case(
        (and_(closed, func.coalesce(v.completed_on, v.closed_on) <= deadline), 0),
        (closed, 1),
        (deadline >= as_of, 2),
        else_=3,
    )
    where = [
        v.seq_from <= mark,
        v.seq_to > mark,
        v.assigned_on <= as_of,
        or_(v.cancelled_on.is_(None), v.cancelled_on > as_of),
    ]
    if period.start is not None:  # closed before the period began: not in play
        where.append(or_(v.closed_on.is_(None), v.closed_on >= period.start))
    return select(v.id, v.directive_id, v.unit_code, rank.label("rank")).where(*where).subquery()


def _lead_at(mark: int) -> Subquery:
    """Each directive's lead unit as the trail stood at `mark`: a lead reassigned later moves
    its directive in later periods' views, not in the one already reported."""
    v = AssignmentVersion
    return (
        select(Assignment.directive_id, v.unit_code)
        .join(v, v.assignment_id == Assignment.id)
        .where(Assignment.is_lead, v.seq_from <= mark, v.seq_to > mark)
        .subquery()
    )


def _view_keys(dimension: Dimension, lead: Subquery) -> tuple[Any, Any]:
    """The code and name columns a directive view groups by (a lead unit's name is read
    from the units afterwards)."""
    if dimension is Dimension.MEETING:
        return Meeting.code, Meeting.title
    if dimension is Dimension.LEAD:
        code = func.coalesce(lead.c.unit_code, Unit.code)
        return code, code
    return Directive.field, Directive.field


def _fill_from_projection(
    ctx: ServiceContext,
    session: Session,
    report: PeriodReport,
    units: dict[str, str],
    views: tuple[Dimension, ...],
    overdue: bool,
) -> None:
    counted = _counted(report.period, report.as_of, report.chain.seq)
    if Dimension.UNIT in views:
        rows: dict[str, UnitStatus] = {}
        for code, rank, count in session.execute(
            select(counted.c.unit_code, counted.c.rank, func.count()).group_by(
                counted.c.unit_code, counted.c.rank
            )
        ):
            rows.setdefault(code, UnitStatus(code, units.get(code, code))).counts[RANKED[rank]] += (
                count
            )
        report.views[Dimension.UNIT] = sorted(rows.values(), key=lambda r: r.unit_code)
    per_directive = (
        select(counted.c.directive_id, func.max(counted.c.rank).label("rank"))
        .group_by(counted.c.directive_id)
        .subquery()
    )
    lead = _lead_at(report.chain.seq)
    for dimension in views:
        if dimension is Dimension.UNIT:
            continue
        code_column, name_column = _view_keys(dimension, lead)
        query = (
            select(code_column, name_column, per_directive.c.rank, func.count())
            .select_from(per_directive)
            .join(Directive, Directive.id == per_directive.c.directive_id)
            .join(Meeting, Meeting.id == Directive.meeting_id)
            .join(Unit, Unit.id == Directive.lead_unit_id)
            .outerjoin(lead, lead.c.directive_id == Directive.id)
            .group_by(code_column, name_column, per_directive.c.rank)
        )
        grouped: dict[str, UnitStatus] = {}
        for code, name, rank, count in session.execute(query):
            key = code or ""
            label = units.get(key, key) if dimension is Dimension.LEAD else name or NO_FIELD
            grouped.setdefault(key, UnitStatus(key, label)).counts[RANKED[rank]] += count
        report.views[dimension] = sorted(grouped.values(), key=lambda r: r.unit_code)
    if overdue:
        late = session.scalars(
            select(AssignmentVersion).where(
                AssignmentVersion.id.in_(select(counted.c.id).where(counted.c.rank == 3)),
                AssignmentVersion.completed_on.is_(None),
            )
        ).all()
        facts = [facts_of(v) for v in late]
        _add_overdue(ctx, session, report, facts, units)


def _leads_in(
    session: Session, facts: dict[int, AssignmentFacts], directives: dict[int, Any]
) -> dict[int, str]:
    """Each directive's lead unit as the replayed facts have it (`_lead_at` for a replay)."""
    leads = {d: row.lead_code for d, row in directives.items()}
    for assignment_id, directive_id in session.execute(
        select(Assignment.id, Assignment.directive_id).where(
            Assignment.is_lead, Assignment.directive_id.in_(list(directives))
        )
    ):
        if assignment_id in facts:
            leads[directive_id] = facts[assignment_id].unit
    return leads


def _directive_rows(session: Session, wanted: Iterable[int]) -> dict[int, Any]:
    ids = sorted(set(wanted))
    return {
        row.id: row
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500))
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


def _add_overdue(
    ctx: ServiceContext,
    session: Session,
    report: PeriodReport,
    late: list[AssignmentFacts],
    units: dict[str, str],
) -> None:
    directives = _directive_rows(session, (f.directive_id for f in late))
    as_of = report.as_of
    for fact in late:
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


def _fill_from_facts(
    ctx: ServiceContext,
    session: Session,
    report: PeriodReport,
    facts: dict[int, AssignmentFacts],
    units: dict[str, str],
    views: tuple[Dimension, ...],
    overdue: bool,
) -> None:
    """The same views, computed in Python from replayed facts (the projection's check)."""
    counted = {
        assignment_id: status
        for assignment_id, fact in facts.items()
        if (status := _counted_status(fact, report.period, report.as_of)) is not None
    }
    directives = _directive_rows(session, (facts[a].directive_id for a in counted))
    leads = _leads_in(session, facts, directives)
    if Dimension.UNIT in views:
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
        Dimension.LEAD: lambda d: (leads[d], units.get(leads[d], leads[d])),
        Dimension.FIELD: lambda d: (directives[d].field or "", directives[d].field or NO_FIELD),
    }
    for dimension, key_of in keys.items():
        if dimension not in views:
            continue
        rows: dict[str, UnitStatus] = {}
        for directive_id, statuses in per_directive.items():
            combined = combined_status(statuses)
            if combined is None:  # pragma: no cover - every list holds a counted status
                continue
            code, name = key_of(directive_id)
            rows.setdefault(code, UnitStatus(code, name)).counts[combined] += 1
        report.views[dimension] = sorted(rows.values(), key=lambda r: r.unit_code)
    if overdue:
        late = [
            facts[a]
            for a, status in counted.items()
            if status is FourWay.OVERDUE and facts[a].completed_on is None
        ]
        _add_overdue(ctx, session, report, late, units)


def _counted_status(fact: AssignmentFacts, period: Period, as_of: date) -> FourWay | None:
    """The assignment's status at the period's end, if it counts then: given by its end, not
    closed before it began, and not withdrawn (cancelled) by its end, since withdrawn work is
    in none of the four columns."""
    if period.start is not None and fact.closed_on is not None and fact.closed_on < period.start:
        return None
    return assignment_status(fact.dates(), as_of)


def _replay(
    session: Session,
    up_to_seq: int,
    *,
    progress: Progress | None,
    batch: int,
) -> tuple[dict[int, AssignmentFacts], int]:
    """Fold the assignment events up to `up_to_seq` into each assignment's facts."""
    query = (
        select(
            AuditEvent.action,
            AuditEvent.occurred_at,
            AuditEvent.assignment_id,
            AuditEvent.directive_id,
            AuditEvent.details,
        )
        .where(
            AuditEvent.seq <= up_to_seq,
            AuditEvent.assignment_id.is_not(None),
            AuditEvent.action.in_(_ACTIONS),
        )
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    facts: dict[int, AssignmentFacts] = {}
    read = 0
    for rows in session.execute(query).partitions():
        for action, at, assignment_id, directive_id, details in rows:
            after = apply_event(
                facts.get(assignment_id), action, local_date(at), directive_id or 0, details
            )
            if after is not None:
                facts[assignment_id] = after
        read += len(rows)
        if progress is not None:
            progress(read)
    return facts, read
