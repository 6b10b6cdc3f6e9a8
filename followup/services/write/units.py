"""Loading the organisation: units, their parents and their contacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from followup.db.models import Unit, UnitContact
from followup.db.session import UnitOfWork
from followup.domain.errors import ValidationError
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import UnitInput, UnitsFile, parse_toml_file


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    #: Units the file describes exactly as they are: nothing written, no audit event.
    unchanged: int = 0


def load_units_file(ctx: ServiceContext, path: Path, *, actor: str) -> LoadResult:
    """Create or update every unit of the file in one transaction, or none on any error."""
    parsed: UnitsFile = parse_toml_file(path, UnitsFile)
    return load_units(ctx, parsed, actor=actor, source=str(path))


def load_units(ctx: ServiceContext, parsed: UnitsFile, *, actor: str, source: str) -> LoadResult:
    """Create or update every unit of the file, its contacts and its parent, in one
    transaction with one audit event per unit; refused whole if any unit is wrong."""
    codes = [u.code for u in parsed.unit]
    _check_file(parsed, codes, source)
    created = updated = unchanged = 0
    with ctx.uow() as uow:
        session = uow.session
        existing = {
            u.code: u
            for u in session.execute(select(Unit).options(selectinload(Unit.contacts))).scalars()
        }
        for item in parsed.unit:
            if item.parent and item.parent not in existing and item.parent not in codes:
                raise ValidationError(
                    f"Tệp {source}: đơn vị '{item.code}' có đơn vị cấp trên '{item.parent}' "
                    "không tồn tại."
                )
        by_code: dict[str, Unit] = dict(existing)
        code_of = {u.id: u.code for u in existing.values()}
        for item in parsed.unit:
            found = existing.get(item.code)
            if found is not None and _as_loaded(found, code_of) == _as_described(item):
                unchanged += 1
                continue
            by_code[item.code] = _save_unit(uow, found, item, actor=actor)
            if found is not None:
                updated += 1
            else:
                created += 1
        session.flush()
        for item in parsed.unit:
            by_code[item.code].parent_id = by_code[item.parent].id if item.parent else None
        _refuse_cycles(by_code, source)
        uow.commit()
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


def _as_loaded(unit: Unit, code_of: dict[int, str]) -> tuple[object, ...]:
    """What a units file says of a unit, as the database holds it."""
    parent = code_of.get(unit.parent_id) if unit.parent_id is not None else None
    contacts = sorted((c.role, c.name, c.title, c.email) for c in unit.contacts)
    return (unit.name, unit.kind, unit.language, parent, contacts)


def _as_described(item: UnitInput) -> tuple[object, ...]:
    contacts = sorted((c.role, c.name, c.title, str(c.email)) for c in item.contacts)
    return (item.name, item.kind, item.language, item.parent, contacts)


def _check_file(parsed: UnitsFile, codes: list[str], source: str) -> None:
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationError(f"Tệp {source}: mã đơn vị '{duplicates[0]}' xuất hiện hai lần.")
    for entry in parsed.unit:
        roles = [c.role for c in entry.contacts]
        if len(set(roles)) != len(roles):
            raise ValidationError(
                f"Tệp {source}: đơn vị '{entry.code}' có hai liên hệ cùng vai trò."
            )
        if entry.kind != "leadership" and not {"officer", "head"} & set(roles):
            raise ValidationError(
                f"Tệp {source}: đơn vị '{entry.code}' cần e-mail của cán bộ phụ trách hoặc "
                "người đứng đầu."
            )


def _save_unit(uow: UnitOfWork, found: Unit | None, item: UnitInput, *, actor: str) -> Unit:
    """Create the unit or replace its name, kind, language and contacts; audit either."""
    contacts = [
        UnitContact(role=c.role, name=c.name, title=c.title, email=str(c.email))
        for c in item.contacts
    ]
    if found is None:
        found = Unit(
            code=item.code,
            name=item.name,
            kind=item.kind,
            language=item.language,
            created_at=uow.clock.now(),
            contacts=contacts,
        )
        uow.session.add(found)
        action = AuditAction.UNIT_CREATED
    else:
        found.name, found.kind, found.language = item.name, item.kind, item.language
        found.contacts.clear()
        uow.session.flush()  # the old contacts go before the new ones take their roles
        found.contacts.extend(contacts)
        action = AuditAction.UNIT_UPDATED
    uow.record(
        action,
        actor=actor,
        details={
            "unit": item.code,
            "name": item.name,
            "parent": item.parent,
            "contacts": [{"role": c.role, "email": str(c.email)} for c in item.contacts],
        },
    )
    return found


def _refuse_cycles(units: dict[str, Unit], source: str) -> None:
    by_id = {u.id: u for u in units.values()}
    for unit in units.values():
        seen = {unit.id}
        parent_id = unit.parent_id
        while parent_id is not None:
            if parent_id in seen:
                raise ValidationError(
                    f"Tệp {source}: đơn vị '{unit.code}' nằm trong một vòng cấp trên–cấp dưới."
                )
            seen.add(parent_id)
            parent_id = by_id[parent_id].parent_id if parent_id in by_id else None


#: The order units are offered in: communes, then departments, then the leadership.
_KIND_ORDER = {"commune": 0, "department": 1, "leadership": 2}


def unit_names(ctx: ServiceContext) -> list[tuple[str, str]]:
    """Every unit as (code, name), communes first, each kind by name."""
    with ctx.session_factory() as session:
        rows = session.execute(select(Unit.code, Unit.name, Unit.kind)).all()
    ordered = sorted(rows, key=lambda r: (_KIND_ORDER.get(r.kind, 9), r.name, r.code))
    return [(r.code, r.name) for r in ordered]
