"""Loading what an action needs, locked, with every relation it will touch."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from followup.db.models import Assignment, Directive, Unit
from followup.domain.errors import NotFoundError


@dataclass(frozen=True)
class AssignmentRef:
    """How a person names an assignment: the directive's code and the unit's code."""

    directive_code: str
    unit_code: str

    def __str__(self) -> str:
        return f"{self.directive_code}/{self.unit_code}"


def unit_options() -> tuple[object, ...]:
    return (
        selectinload(Unit.contacts),
        selectinload(Unit.parent).selectinload(Unit.contacts),
    )


def get_unit(session: Session, code: str) -> Unit:
    unit = session.execute(
        select(Unit).where(Unit.code == code).options(*unit_options())  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if unit is None:
        raise NotFoundError(f"Không có đơn vị mã '{code}'.")
    return unit


def get_directive(session: Session, code: str, *, for_update: bool = False) -> Directive:
    query = (
        select(Directive)
        .where(Directive.code == code)
        .options(selectinload(Directive.meeting), selectinload(Directive.lead_unit))
    )
    if for_update:
        query = query.with_for_update(of=Directive)
    directive = session.execute(query).scalar_one_or_none()
    if directive is None:
        raise NotFoundError(f"Không có nhiệm vụ mã '{code}'.")
    return directive


def assignment_options() -> tuple[object, ...]:
    return (
        selectinload(Assignment.directive).selectinload(Directive.meeting),
        selectinload(Assignment.unit).selectinload(Unit.contacts),
        selectinload(Assignment.unit).selectinload(Unit.parent).selectinload(Unit.contacts),
    )


def lock_assignment(session: Session, ref: AssignmentRef | int) -> Assignment:
    """The assignment, row-locked until commit, with its directive, meeting and unit."""
    query = select(Assignment).options(*assignment_options())  # type: ignore[arg-type]
    if isinstance(ref, int):
        query = query.where(Assignment.id == ref)
    else:
        # Name the unknown part precisely rather than "not found".
        directive = get_directive(session, ref.directive_code)
        unit = get_unit(session, ref.unit_code)
        query = query.where(Assignment.directive_id == directive.id, Assignment.unit_id == unit.id)
    assignment = session.execute(query.with_for_update(of=Assignment)).scalar_one_or_none()
    if assignment is None:
        if isinstance(ref, int):
            raise NotFoundError(f"Không có phân công số {ref}.")
        raise NotFoundError(
            f"Đơn vị '{ref.unit_code}' không được giao nhiệm vụ '{ref.directive_code}'."
        )
    return assignment
