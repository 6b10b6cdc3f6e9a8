"""The audit trail's projection: `assignment_versions`, each assignment's facts after each event
that moved them (`domain.replay`), so a period report is one GROUP BY over the versions valid at
its chain mark instead of a replay of the whole trail.

The trail stays the truth: the projection is written in the same transaction as its events
(`project`, called by `db.audit.append_events`), can be rebuilt from the trail (`rebuild`) and
is checked against it (`verify`), version by version."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from followup.db.models import AssignmentVersion, AuditEvent
from followup.domain.clock import local_date
from followup.domain.replay import REPLAYED, AssignmentFacts, apply_event

#: `seq_to` of a version no event has superseded yet (the largest 32-bit integer: one range
#: condition, `seq_to > mark`, finds the versions valid at a mark, current ones included).
CURRENT = 2**31 - 1

_ACTIONS = sorted(a.value for a in REPLAYED)

Progress = Callable[[int], None]


class Moving(Protocol):
    """What the projection reads of an event (`db.audit.NewEvent`, a stored `AuditEvent`)."""

    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def directive_id(self) -> int | None: ...
    @property
    def assignment_id(self) -> int | None: ...
    @property
    def details(self) -> dict[str, Any]: ...


#: Where each fact is kept in the versions table (every column named as the fact, but the unit).
_COLUMNS = {f.name: "unit_code" if f.name == "unit" else f.name for f in fields(AssignmentFacts)}


def facts_of(version: Any) -> AssignmentFacts:
    """The facts a stored version holds (an `AssignmentVersion` or a row of its table)."""
    return AssignmentFacts(**{name: getattr(version, column) for name, column in _COLUMNS.items()})


def _values(assignment_id: int, seq_from: int, facts: AssignmentFacts) -> dict[str, Any]:
    own = {column: getattr(facts, name) for name, column in _COLUMNS.items()}
    return {"assignment_id": assignment_id, "seq_from": seq_from, "seq_to": CURRENT} | own


def project(session: Session, events: Sequence[Moving]) -> None:
    """Add the versions these (new, in-order) events make. The caller holds the audit head's
    lock, so no other writer moves the same assignments meanwhile. A batch is one SELECT of
    the current versions, one UPDATE of those it supersedes and one INSERT of the new ones."""
    moving = [
        (e, e.assignment_id) for e in events if e.assignment_id is not None and e.action in REPLAYED
    ]
    if not moving:
        return
    ids = sorted({assignment_id for _, assignment_id in moving})
    table = AssignmentVersion.__table__
    #: assignment → (the stored current version's id, or the new version's values; facts)
    current: dict[int, tuple[int | dict[str, Any], AssignmentFacts]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for row in session.execute(
            select(table).where(table.c.assignment_id.in_(chunk), table.c.seq_to == CURRENT)
        ):
            current[row.assignment_id] = (row.id, facts_of(row))
    superseded: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for event, assignment_id in moving:
        prior = current.get(assignment_id)
        facts = apply_event(
            prior[1] if prior is not None else None,
            event.action,
            local_date(event.occurred_at),
            event.directive_id or 0,
            event.details,
        )
        if facts is None:
            continue
        if prior is not None and isinstance(prior[0], dict):
            prior[0]["seq_to"] = event.seq  # made earlier in this batch
        elif prior is not None:
            superseded.append({"id": prior[0], "seq_to": event.seq})
        values = _values(assignment_id, event.seq, facts)
        new.append(values)
        current[assignment_id] = (values, facts)
    if superseded:
        session.execute(update(AssignmentVersion), superseded)
    if new:
        session.execute(insert(AssignmentVersion), new)


#: The columns every replay of the trail reads first: the event's place, time and action,
#: and the assignment it is about.
EVENT_HEAD = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.action,
    AuditEvent.assignment_id,
)


def _trail_versions(session: Session, batch: int) -> Iterator[dict[str, Any]]:
    """Every version the trail's events make, in event order (`seq_to` left CURRENT)."""
    query = (
        select(*EVENT_HEAD, AuditEvent.directive_id, AuditEvent.details)
        .where(AuditEvent.assignment_id.is_not(None), AuditEvent.action.in_(_ACTIONS))
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    facts: dict[int, AssignmentFacts] = {}
    for seq, at, action, assignment_id, directive_id, details in session.execute(query):
        after = apply_event(
            facts.get(assignment_id), action, local_date(at), directive_id or 0, details
        )
        if after is None:
            continue
        facts[assignment_id] = after
        yield _values(assignment_id, seq, after)


def rebuild(session: Session, *, batch: int = 5000, progress: Progress | None = None) -> int:
    """Replace the projection with the fold of the whole trail; returns the versions written."""
    session.execute(delete(AssignmentVersion))
    last: dict[int, dict[str, Any]] = {}  # each assignment's newest version, its end unknown
    pending: list[dict[str, Any]] = []
    written = 0

    def flush() -> None:
        nonlocal written
        session.execute(insert(AssignmentVersion), pending)
        written += len(pending)
        pending.clear()
        if progress is not None:
            progress(written)

    for values in _trail_versions(session, batch):
        prior = last.get(values["assignment_id"])
        if prior is not None:
            prior["seq_to"] = values["seq_from"]
            pending.append(prior)
            if len(pending) >= batch:
                flush()
        last[values["assignment_id"]] = values
    pending.extend(last.values())
    if pending:
        flush()
    return written


@dataclass(frozen=True)
class ProjectionCheck:
    ok: bool
    checked: int
    #: The event whose version differs from the trail's, is missing or is extra.
    bad_seq: int | None = None


def verify(session: Session, *, batch: int = 5000) -> ProjectionCheck:
    """Compare the stored versions with the fold of the trail, in event order, and check that
    each version ends where the next version of its assignment begins."""
    stored = session.execute(
        select(AssignmentVersion)
        .order_by(AssignmentVersion.seq_from)
        .execution_options(yield_per=batch)
    ).scalars()
    ends: dict[int, tuple[int, int]] = {}  # assignment -> (its newest version's seq_from, seq_to)
    checked = 0
    for want in _trail_versions(session, batch):
        have = next(stored, None)
        if have is None:
            return ProjectionCheck(False, checked, want["seq_from"])
        found = _values(have.assignment_id, have.seq_from, facts_of(have))
        if found != want:
            return ProjectionCheck(False, checked, min(want["seq_from"], have.seq_from))
        before = ends.get(have.assignment_id)
        if before is not None and before[1] != have.seq_from:
            return ProjectionCheck(False, checked, before[0])
        ends[have.assignment_id] = (have.seq_from, have.seq_to)
        checked += 1
    extra = next(stored, None)
    if extra is not None:
        return ProjectionCheck(False, checked, extra.seq_from)
    for seq_from, seq_to in ends.values():
        if seq_to != CURRENT:
            return ProjectionCheck(False, checked, seq_from)
    return ProjectionCheck(True, checked)
