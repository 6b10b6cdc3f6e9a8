"""Queries the services share: loading what an action needs, locked, with every relation it
will touch; a directive's version."""

from __future__ import annotations

import difflib

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from followup.db.models import Assignment, AuditEvent, Directive, FlowInput, Unit
from followup.domain.errors import NotFoundError
from followup.domain.text import fold
from followup.domain.vocabulary import AuditAction
from followup.services.refs import AssignmentRef


def directive_version(session: Session, directive_id: int) -> int:
    """How far a directive's story has gone: the sequence number of its latest audit event.

    Derived, not stored: every change writes an audit event and the chain numbers them in
    one line, so this moves with every change and two concurrent changes never share it.
    """
    return session.execute(
        select(func.coalesce(func.max(AuditEvent.seq), 0)).where(
            AuditEvent.directive_id == directive_id
        )
    ).scalar_one()


#: Events that record what did not change a directive: a refused link or form, a notice
#: given up on or queued again. They are part of its story, but a form given before them
#: still fits, so a stranger's POST with a forged link, or a unit's double-click, cannot
#: make a coordinator's open form stale.
UNCHANGED = (
    AuditAction.LINK_REFUSED,
    AuditAction.DIRECTIVE_INPUT_STALE,
    AuditAction.DIRECTIVE_INPUT_REFUSED,
    AuditAction.NOTICE_GIVEN_UP,
    AuditAction.NOTICE_REQUEUED,
)


def changed_since(session: Session, directive_id: int, version: int) -> bool:
    """Whether anything changed the directive after its story stood at `version`."""
    return (
        session.execute(
            select(AuditEvent.seq)
            .where(
                AuditEvent.directive_id == directive_id,
                AuditEvent.seq > version,
                AuditEvent.action.not_in([a.value for a in UNCHANGED]),
            )
            .limit(1)
        ).first()
        is not None
    )


def consumed_count(session: Session, directive_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(FlowInput)
            .where(FlowInput.directive_id == directive_id)
        ).scalar_one()
    )


def unit_options() -> tuple[LoaderOption, ...]:
    return (
        selectinload(Unit.contacts),
        selectinload(Unit.parent).selectinload(Unit.contacts),
    )


def get_unit(session: Session, code: str) -> Unit:
    """A unit by its code, or by its name as people type it: full, in part ("hai tien"),
    with or without diacritics. A name that fits several units lists them."""
    unit = session.execute(
        select(Unit).where(Unit.code == code).options(*unit_options())
    ).scalar_one_or_none()
    if unit is not None:
        return unit
    found = units_named(session, code)
    if len(found) > 1:
        listed = "; ".join(f"{name} ({c})" for c, name in found)
        raise NotFoundError(f"'{code}' có thể là nhiều đơn vị: {listed}. Hãy ghi rõ hơn.")
    if not found:
        near = nearest_units(session, code)
        hint = f"; có phải: {'; '.join(f'{n} ({c})' for c, n in near)}?" if near else "."
        raise NotFoundError(f"Không có đơn vị mã '{code}'{hint}")
    return session.execute(
        select(Unit).where(Unit.code == found[0][0]).options(*unit_options())
    ).scalar_one()


def units_named(session: Session, typed: str) -> list[tuple[str, str]]:
    """The units (code, name) that `typed` names: its code or whole name without regard to
    case or diacritics, else every unit whose name holds it as whole words."""
    wanted = fold(typed)
    if not wanted:
        return []
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.name)).all()
    whole = [(c, n) for c, n in units if wanted in (fold(c), fold(n))]
    if whole:
        return whole
    return [(c, n) for c, n in units if f" {wanted} " in f" {fold(n)} "]


def nearest_units(session: Session, typed: str, *, most: int = 3) -> list[tuple[str, str]]:
    """The units (code, name) whose code or name is nearest to a mistyped one, compared
    without diacritics ("hai tein" → UBND xã Hải Tiến)."""
    wanted = fold(typed)
    if not wanted:
        return []
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.name)).all()
    keys: dict[str, tuple[str, str]] = {}
    for c, n in units:
        name = fold(n)
        for key in (fold(c), name, name.removeprefix("ubnd ")):
            keys.setdefault(key, (c, n))
    # A typed short name is compared with the names' ends ("hai tein" with "xa hai tien").
    close = difflib.get_close_matches(wanted, list(keys), n=most * 3, cutoff=0.6)
    close += [
        key
        for key in keys
        if difflib.SequenceMatcher(None, wanted, key[-len(wanted) - 3 :]).ratio() >= 0.75
    ]
    return list(dict.fromkeys(keys[k] for k in close))[:most]


def get_directive(session: Session, code: str, *, for_update: bool = False) -> Directive:
    query = (
        select(Directive)
        .where(Directive.code == code)
        # Many-to-one: joined in the same query (one round trip, not three).
        .options(joinedload(Directive.meeting), joinedload(Directive.lead_unit))
    )
    if for_update:
        query = query.with_for_update(of=Directive)
    directive = session.execute(query).scalar_one_or_none()
    if directive is None:
        raise NotFoundError(f"Không có nhiệm vụ mã '{code}'.")
    return directive


def assignment_options() -> tuple[LoaderOption, ...]:
    return (
        selectinload(Assignment.directive).selectinload(Directive.meeting),
        selectinload(Assignment.unit).selectinload(Unit.contacts),
        selectinload(Assignment.unit).selectinload(Unit.parent).selectinload(Unit.contacts),
    )


def lock_assignment(session: Session, ref: AssignmentRef | int) -> Assignment:
    """The assignment, row-locked until commit, with its directive, meeting and unit."""
    query = select(Assignment).options(*assignment_options())
    if isinstance(ref, int):
        query = query.where(Assignment.id == ref)
    else:
        query = query.where(
            Assignment.directive.has(Directive.code == ref.directive_code),
            Assignment.unit.has(Unit.code == ref.unit_code),
        )
    assignment = session.execute(query.with_for_update(of=Assignment)).scalar_one_or_none()
    if assignment is not None:
        return assignment
    if isinstance(ref, int):
        raise NotFoundError(f"Không có phân công số {ref}.")
    # Only on failure: name the unknown part precisely rather than "not found".
    get_directive(session, ref.directive_code)
    unit = get_unit(session, ref.unit_code)
    if unit.code != ref.unit_code:  # named by its name, not its code
        return lock_assignment(session, AssignmentRef(ref.directive_code, unit.code))
    raise NotFoundError(
        f"Đơn vị '{ref.unit_code}' không được giao nhiệm vụ '{ref.directive_code}'."
    )


def find_assignment(session: Session, ref: AssignmentRef) -> Assignment:
    """The assignment a person names (the unit by its code or name), for reading."""
    directive = get_directive(session, ref.directive_code)
    unit = get_unit(session, ref.unit_code)
    assignment = session.execute(
        select(Assignment).where(
            Assignment.directive_id == directive.id, Assignment.unit_id == unit.id
        )
    ).scalar_one_or_none()
    if assignment is None:
        raise NotFoundError(f"Đơn vị '{unit.name}' không được giao nhiệm vụ '{directive.code}'.")
    return assignment
