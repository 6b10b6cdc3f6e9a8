"""Delegating a unit's officer in charge to an acting officer for a date range.

While a delegation is in force, notices meant for the officer go to the acting officer (who
is told for whom), the links in them carry the acting officer's address, and the audit names
both: the delegation event names officer and acting officer, and an action taken through such
a link names the acting officer as actor and the officer as the one stood in for.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup.db.models import Delegation, Unit, UnitContact
from followup.domain.errors import ValidationError
from followup.domain.policy import Role
from followup.domain.text import nfc
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import EMAIL_PATTERN
from followup.services.notices import active_delegation
from followup.services.queries import get_unit
from followup.services.write.commands import Delegate, EndDelegation
from followup.services.write.results import DelegationView, EndedDelegations, Receipt

_EMAIL = re.compile(EMAIL_PATTERN)  # the rule of the units file
MAX_DAYS = 366


def delegate(ctx: ServiceContext, cmd: Delegate, _receipt: Receipt | None) -> DelegationView:
    """Record that `acting_name` stands in for the unit's officer from `starts_on` to
    `ends_on` inclusive; one transaction with its audit event."""
    unit_code, acting_name, acting_email = cmd.unit_code, cmd.acting_name, cmd.acting_email
    starts_on, ends_on, reason, actor = cmd.starts_on, cmd.ends_on, cmd.reason, cmd.actor
    name = nfc(acting_name).strip()
    email = acting_email.strip()
    if not name:
        raise ValidationError("Cần nhập họ tên người được ủy quyền.")
    if len(name) > 255 or not _EMAIL.match(email) or len(email) > 320:
        raise ValidationError(f"Địa chỉ e-mail người được ủy quyền không hợp lệ: '{email}'.")
    if ends_on < starts_on:
        raise ValidationError(
            f"Ngày kết thúc ủy quyền ({ends_on:%d/%m/%Y}) trước ngày bắt đầu "
            f"({starts_on:%d/%m/%Y})."
        )
    if ends_on < ctx.today():
        raise ValidationError(f"Ngày kết thúc ủy quyền ({ends_on:%d/%m/%Y}) đã qua.")
    if (ends_on - starts_on).days > MAX_DAYS:
        raise ValidationError("Một lần ủy quyền dài nhất một năm; hãy chia thành nhiều lần.")
    reason = nfc(reason).strip()
    with ctx.uow() as uow:
        unit = get_unit(uow.session, unit_code)
        officer = next((c for c in unit.contacts if c.role == Role.OFFICER.value), None)
        row = Delegation(
            unit_id=unit.id,
            acting_name=name,
            acting_email=email,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_by=actor,
            created_at=ctx.clock.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(
            AuditAction.OFFICER_DELEGATED,
            actor=actor,
            details={
                "officer": officer.name if officer else "",
                "officer_email": officer.email if officer else "",
                **_described(unit, row),
            },
        )
        uow.commit()
        return DelegationView(
            id=row.id,
            unit_code=unit.code,
            officer_name=officer.name if officer else "",
            acting_name=name,
            acting_email=email,
            starts_on=starts_on,
            ends_on=ends_on,
        )


def acting_as(session: Session, unit_id: int, email: str, on: date) -> str | None:
    """Who someone holding a link sent to `email` is, for the audit, if they may act for the
    unit on `on`: an acting officer in force (named with the officer they stand in for), or
    the unit's officer or head. None for anyone else: a city leader (who was sent only the
    unit's page), a former contact, an acting officer whose range has ended."""
    delegation = active_delegation(session, unit_id, on)
    if delegation is not None and delegation.acting_email.lower() == email.lower():
        officer = session.execute(
            select(UnitContact).where(
                UnitContact.unit_id == unit_id, UnitContact.role == Role.OFFICER.value
            )
        ).scalar_one_or_none()
        stood_in = officer.name if officer else "cán bộ phụ trách"
        return f"{delegation.acting_name} <{email}> thay {stood_in} (liên kết e-mail)"
    contact = (
        session.execute(
            select(UnitContact).where(
                UnitContact.unit_id == unit_id,
                func.lower(UnitContact.email) == email.lower(),
                UnitContact.role.in_((Role.OFFICER.value, Role.HEAD.value)),
            )
        )
        .scalars()
        .first()
    )
    if contact is None or not email:
        return None
    return f"{contact.name} <{email}> (liên kết e-mail)"


def end_delegation(
    ctx: ServiceContext, cmd: EndDelegation, _receipt: Receipt | None
) -> EndedDelegations:
    """End every delegation of the unit's officer that is in force or still to come (a
    mistaken address, the officer back early): notices go to the officer again. Returns
    how many ended; one transaction with one audit event each."""
    unit_code, reason, actor = cmd.unit_code, cmd.reason, cmd.actor
    today = ctx.today()
    with ctx.uow() as uow:
        unit = get_unit(uow.session, unit_code)
        rows = list(
            uow.session.execute(
                select(Delegation)
                .where(
                    Delegation.unit_id == unit.id,
                    Delegation.ends_on >= today,
                    Delegation.revoked_at.is_(None),
                )
                .with_for_update()
            ).scalars()
        )
        if not rows:
            raise ValidationError(
                f"Đơn vị '{unit_code}' không có ủy quyền nào đang hoặc sắp có hiệu lực."
            )
        now = ctx.clock.now()
        for row in rows:
            row.revoked_at = now
            uow.record(
                AuditAction.DELEGATION_ENDED,
                actor=actor,
                details=_described(unit, row) | {"reason": nfc(reason).strip()},
            )
        uow.commit()
        return EndedDelegations(unit.code, len(rows))


def _described(unit: Unit, row: Delegation) -> dict[str, object]:
    """What the trail says of a delegation, begun or ended: whose, to whom, when and why."""
    return {
        "unit": unit.code,
        "acting": row.acting_name,
        "acting_email": row.acting_email,
        "from": row.starts_on,
        "to": row.ends_on,
        "reason": row.reason,
    }
