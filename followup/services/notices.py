"""Turning a change into notices: pick the recipient, render, and put them in the outbox."""

from __future__ import annotations

from typing import Any

from followup.db.models import Assignment, Unit, UnitContact
from followup.db.session import UnitOfWork
from followup.domain.policy import Role
from followup.notifications.outbox import Recipient, notice_row
from followup.notifications.render import NoticeKind, render
from followup.services.context import ServiceContext

#: Who stands in when a unit has no contact for a role.
_FALLBACK = {
    Role.OFFICER: (Role.OFFICER, Role.HEAD),
    Role.HEAD: (Role.HEAD, Role.OFFICER),
}


def _contact(unit: Unit, role: Role) -> UnitContact | None:
    return next((c for c in unit.contacts if c.role == role.value), None)


def recipient_for(unit: Unit, role: Role) -> Recipient | None:
    """The person a notice for `unit` goes to. The leader in charge is the unit's own
    `leader` contact if it names one, else the head of its parent unit."""
    if role is Role.LEADER:
        contact = _contact(unit, Role.LEADER)
        if contact is None and unit.parent is not None:
            contact = _contact(unit.parent, Role.LEADER) or _contact(unit.parent, Role.HEAD)
    else:
        contact = next((c for r in _FALLBACK[role] if (c := _contact(unit, r)) is not None), None)
    return Recipient(contact.name, contact.email) if contact else None


def base_context(
    ctx: ServiceContext, assignment: Assignment, recipient: Recipient
) -> dict[str, Any]:
    directive = assignment.directive
    meeting = directive.meeting
    return {
        "org_name": ctx.org_name,
        "recipient_name": recipient.name,
        "unit_name": assignment.unit.name,
        "unit_code": assignment.unit.code,
        "is_lead": assignment.is_lead,
        "percent": assignment.last_percent,
        "directive": {
            "code": directive.code,
            "title": directive.title,
            "text": directive.text,
            "due_on": assignment.due_on,
            "original_due_on": assignment.original_due_on,
            "meeting_title": meeting.title,
            "meeting_held_on": meeting.held_on,
            "notice_number": meeting.notice_number,
        },
    }


def notify(
    ctx: ServiceContext,
    uow: UnitOfWork,
    assignment: Assignment,
    kind: NoticeKind,
    *,
    role: Role,
    occasion: str,
    extra: dict[str, Any] | None = None,
) -> Recipient | None:
    """Queue one notice about `assignment`; `occasion` makes its dedupe key unique.

    Returns the recipient, or None when the unit has nobody for that role (the caller audits
    it). A notice already queued under the same key is not queued again.
    """
    recipient = recipient_for(assignment.unit, role)
    if recipient is None:
        return None
    language = assignment.unit.language or ctx.default_language
    rendered = render(kind, language, base_context(ctx, assignment, recipient) | (extra or {}))
    uow.notify(
        notice_row(
            dedupe_key=f"a{assignment.id}:{kind.value}:{occasion}:{role.value}",
            kind=kind,
            language=language,
            recipient=recipient,
            rendered=rendered,
            now=uow.clock.now(),
            message_id_domain=ctx.message_id_domain,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
        )
    )
    return recipient
