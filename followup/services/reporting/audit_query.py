"""Questions coordinators ask of the audit trail, without SQL: which events touched a unit, a
directive or a meeting, by whom, of which kind, in which period; and how long each unit takes
to acknowledge and to finish, in working days. Every row names its event number (and the
chain's hash there), so it can be checked against `followup audit verify`."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select

from followup.db.models import AuditEvent, Directive, Meeting, Unit
from followup.db.projection import EVENT_HEAD
from followup.domain.clock import local_date
from followup.domain.errors import NotFoundError, ValidationError
from followup.domain.periods import Period
from followup.domain.text import decimal, fold
from followup.domain.vocabulary import AuditAction, label
from followup.services.context import ServiceContext
from followup.services.queries import get_directive, get_unit


def _short(action: AuditAction) -> str:
    return action.value.split(".", 1)[1]


def _kind_name(action: AuditAction) -> str:
    """The shortest name that says which kind: `acknowledged`, or `unit.created` where the
    part after the dot is shared (directive.created, unit.created)."""
    shared = sum(1 for a in AuditAction if _short(a) == _short(action)) > 1
    return action.value if shared else _short(action)


def audit_kind(text: str) -> AuditAction:
    """An event kind as people name it: its stored name (`assignment.acknowledged`), the part
    after the dot where that is enough (`acknowledged`) or its label, with or without
    diacritics."""
    wanted = fold(text).strip()
    for action in AuditAction:
        if wanted in (fold(action.value), fold(_kind_name(action)), fold(label(action))):
            return action
    known = "; ".join(f"{_kind_name(a)} ({label(a)})" for a in AuditAction)
    raise ValidationError(f"Không có loại sự kiện '{text}'. Các loại: {known}.")


@dataclass(frozen=True)
class AuditFilter:
    unit: str | None = None
    actor: str | None = None
    directive: str | None = None
    meeting: str | None = None
    kinds: tuple[str, ...] = ()
    period: Period | None = None


@dataclass(frozen=True)
class AuditRow:
    seq: int
    hash: str
    occurred_at: datetime
    actor: str
    action: str
    directive_code: str | None
    unit_code: str | None
    details: dict[str, object]


def query_events(
    ctx: ServiceContext, wanted: AuditFilter, *, limit: int | None = None
) -> Iterator[AuditRow]:
    """The events that match every filter given, oldest first."""
    with ctx.session_factory() as session:
        conditions: list[ColumnElement[bool]] = []
        if wanted.unit:
            code = get_unit(session, wanted.unit).code
            conditions.append(
                or_(
                    *(
                        AuditEvent.details[key].as_string() == code
                        for key in ("unit", "from_unit", "to_unit", "code")
                    )
                )
            )
        if wanted.directive:
            directive = get_directive(session, wanted.directive)
            conditions.append(AuditEvent.directive_id == directive.id)
        if wanted.meeting:
            meeting_id = session.execute(
                select(Meeting.id).where(Meeting.code == wanted.meeting)
            ).scalar()
            if meeting_id is None:
                raise NotFoundError(f"Không có cuộc họp mã '{wanted.meeting}'.")
            conditions.append(
                or_(
                    AuditEvent.directive_id.in_(
                        select(Directive.id).where(Directive.meeting_id == meeting_id)
                    ),
                    AuditEvent.details["meeting"].as_string() == wanted.meeting,
                )
            )
        if wanted.kinds:
            conditions.append(AuditEvent.action.in_(wanted.kinds))
        if wanted.period is not None:
            conditions.append(AuditEvent.occurred_at < wanted.period.ends_before())
            if wanted.period.start is not None:
                conditions.append(AuditEvent.occurred_at >= wanted.period.starts_at())
        codes = dict(session.execute(select(Directive.id, Directive.code)).all())
        actor = fold(wanted.actor) if wanted.actor else None
        found = 0
        query = (
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=2000)
        )
        for event in session.execute(query).scalars():
            if actor is not None and actor not in fold(event.actor):
                continue
            unit = event.details.get("unit") or event.details.get("to_unit")
            yield AuditRow(
                seq=event.seq,
                hash=event.hash,
                occurred_at=event.occurred_at,
                actor=event.actor,
                action=event.action,
                directive_code=codes.get(event.directive_id) if event.directive_id else None,
                unit_code=unit if isinstance(unit, str) else None,
                details=event.details,
            )
            found += 1
            if limit is not None and found >= limit:
                return


@dataclass
class ResponseTimes:
    """One unit's response times, in working days, over the assignments it was given."""

    unit_code: str
    unit_name: str
    to_acknowledge: list[int] = field(default_factory=list)
    to_report_done: list[int] = field(default_factory=list)
    #: (assignment event, acknowledgement event, done event) numbers, to check on the chain.
    events: list[tuple[int, int | None, int | None]] = field(default_factory=list)

    @property
    def given(self) -> int:
        return len(self.events)


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile_90(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank: 9 in 10 took at most this long."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def days_text(value: float | None) -> str:
    """1,5 ngày (a dash when nothing was measured)."""
    if value is None:
        return "-"
    shown = decimal(value, 1, trim=True)
    return f"{shown} ngày"


@dataclass(frozen=True)
class _Given:
    """An assignment's current start: the unit's row it counts in (None: not asked for)."""

    row: ResponseTimes | None
    day: date
    index: int


def _within(period: Period | None, day: date) -> bool:
    if period is None:
        return True
    return (period.start is None or period.start <= day) and day <= period.end


_STARTS = (AuditAction.ASSIGNED.value, AuditAction.REASSIGNED.value)
_RESPONSES = (
    AuditAction.ACKNOWLEDGED.value,
    AuditAction.REPORTED_DONE.value,
    AuditAction.SENT_BACK.value,
)


def response_times(
    ctx: ServiceContext, *, period: Period | None = None, unit: str | None = None
) -> list[ResponseTimes]:
    """Per unit: working days from each assignment (or reassignment) to its acknowledgement
    and to the report of completion that stood (a report sent back does not count: the next
    one does, as the four-way counts the accepted one), over the assignments given in the
    period."""
    with ctx.session_factory() as session:
        only = get_unit(session, unit).code if unit else None
        names: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
        details = AuditEvent.details
        query = (
            select(*EVENT_HEAD, details["unit"].as_string(), details["to_unit"].as_string())
            .where(
                AuditEvent.assignment_id.is_not(None),
                AuditEvent.action.in_(_STARTS + _RESPONSES),
            )
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=5000)
        )
        given: dict[int, _Given] = {}
        rows: dict[str, ResponseTimes] = {}
        reported: dict[int, tuple[int, int]] = {}  # assignment -> its standing report (seq, days)
        for seq, at, action, assignment_id, unit_code, to_unit in session.execute(query):
            day = local_date(at)
            if action in _STARTS:
                code = (to_unit if action == AuditAction.REASSIGNED.value else unit_code) or ""
                counted = _within(period, day) and only in (None, code)
                row = (
                    rows.setdefault(code, ResponseTimes(code, names.get(code, code)))
                    if counted
                    else None
                )
                if row is not None:
                    row.events.append((seq, None, None))
                given[assignment_id] = _Given(row, day, len(row.events) - 1 if row else -1)
                reported.pop(assignment_id, None)
                continue
            start = given.get(assignment_id)
            if start is None or start.row is None:
                continue  # given before the trail began, or outside the period or unit asked
            row = start.row
            first, ack, done = row.events[start.index]
            days = ctx.calendar.working_days_between(start.day, day)
            if action == AuditAction.ACKNOWLEDGED.value and ack is None:
                row.to_acknowledge.append(days)
                row.events[start.index] = (first, seq, done)
            elif action == AuditAction.REPORTED_DONE.value and assignment_id not in reported:
                reported[assignment_id] = (seq, days)
            elif action == AuditAction.SENT_BACK.value:
                reported.pop(assignment_id, None)
        for assignment_id, (seq, days) in reported.items():
            start = given[assignment_id]
            if start.row is not None:
                first, ack, _done = start.row.events[start.index]
                start.row.to_report_done.append(days)
                start.row.events[start.index] = (first, ack, seq)
    return sorted(rows.values(), key=lambda r: r.unit_code)
