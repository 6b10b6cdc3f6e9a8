"""Turning a change into notices: pick the recipient, render, and put them in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Required, TypedDict, Unpack
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from followup.db.models import Assignment, Delegation, Unit, UnitContact
from followup.db.session import UnitOfWork
from followup.domain.clock import LOCAL_TZ, local_date
from followup.domain.policy import Role
from followup.domain.states import AssignmentState
from followup.domain.vocabulary import NoticeKind
from followup.links import LinkAction, link_actions
from followup.notifications.outbox import Recipient, notice_row
from followup.notifications.render import render
from followup.services.context import ServiceContext

#: Who stands in when a unit has no contact for a role.
_FALLBACK = {
    Role.OFFICER: (Role.OFFICER, Role.HEAD),
    Role.HEAD: (Role.HEAD, Role.OFFICER),
}


def _contact(unit: Unit, role: Role) -> UnitContact | None:
    return next((c for c in unit.contacts if c.role == role.value), None)


def active_delegation(session: Session, unit_id: int, on: date) -> Delegation | None:
    """The delegation of a unit's officer in force on a day (the latest made, if several)."""
    return session.execute(
        select(Delegation)
        .where(
            Delegation.unit_id == unit_id,
            Delegation.starts_on <= on,
            Delegation.ends_on >= on,
            Delegation.revoked_at.is_(None),
        )
        .order_by(Delegation.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def delegations_on(session: Session, on: date) -> dict[int, Delegation]:
    """Every unit's delegation in force on a day (the latest made), by unit id: a batch (the
    sweep's) looks them up once instead of once per notice."""
    with session.no_autoflush:
        rows = session.execute(
            select(Delegation)
            .where(
                Delegation.starts_on <= on,
                Delegation.ends_on >= on,
                Delegation.revoked_at.is_(None),
            )
            .order_by(Delegation.id)
        ).scalars()
        return {d.unit_id: d for d in rows}


@dataclass
class NoticeBatch:
    """What a batch of notices (the sweep's) looks up once instead of once per notice: the
    delegations in force."""

    delegations: Mapping[int, Delegation]

    @classmethod
    def on(cls, session: Session, day: date) -> NoticeBatch:
        return cls(delegations_on(session, day))


def recipient_for(unit: Unit, role: Role, delegation: Delegation | None = None) -> Recipient | None:
    """The person a notice for `unit` goes to. The leader in charge is the unit's own
    `leader` contact if it names one, else the head of its parent unit. While the officer is
    delegated, officer notices go to the acting officer, who is told for whom."""
    if role is Role.OFFICER and delegation is not None:
        officer = _contact(unit, Role.OFFICER)
        return Recipient(
            delegation.acting_name,
            delegation.acting_email,
            acting_for=officer.name if officer else unit.name,
        )
    if role is Role.LEADER:
        contact = _contact(unit, Role.LEADER)
        if contact is None and unit.parent is not None:
            contact = _contact(unit.parent, Role.LEADER) or _contact(unit.parent, Role.HEAD)
    else:
        contact = next((c for r in _FALLBACK[role] if (c := _contact(unit, r)) is not None), None)
    return Recipient(contact.name, contact.email) if contact else None


def action_url(ctx: ServiceContext, assignment_id: int, action: LinkAction, token: str) -> str:
    return f"{ctx.base_url}/a/{assignment_id}/{action.value}?t={token}"


def unit_url(ctx: ServiceContext, unit_code: str, token: str) -> str:
    return f"{ctx.base_url}/u/{quote(unit_code, safe='')}?t={token}"


def link_expiry(now: datetime, days: int) -> datetime:
    """Links work through the whole last day the e-mail names (until midnight, Vietnam)."""
    last_day = local_date(now) + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


def links_for(
    ctx: ServiceContext, assignment: Assignment, recipient: Recipient, role: Role
) -> list[tuple[str, str]]:
    """Signed links for one notice: the actions the unit's state allows (not for the city
    leader, who is not the unit), then the unit's own page."""
    signer = ctx.link_signer()
    expires = link_expiry(ctx.clock.now(), ctx.link_valid_days)
    links: list[tuple[str, str]] = []
    if role is not Role.LEADER:
        for action in link_actions(AssignmentState(assignment.state)):
            token = signer.sign(
                assignment.id, action, expires_at=expires, recipient=recipient.email
            )
            links.append((action.value, action_url(ctx, assignment.id, action, token)))
    view = signer.sign(
        assignment.unit.id, LinkAction.VIEW, expires_at=expires, recipient=recipient.email
    )
    links.append((LinkAction.VIEW.value, unit_url(ctx, assignment.unit.code, view)))
    return links


def base_context(
    ctx: ServiceContext, assignment: Assignment, recipient: Recipient
) -> dict[str, Any]:
    directive = assignment.directive
    meeting = directive.meeting
    return {
        "org_name": ctx.organisation(object_session(assignment)),
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


class NoticeOptions(TypedDict, total=False):
    """Who a notice about an assignment goes to and on what occasion."""

    #: Who receives it: the unit's officer (or whoever acts for them), its head, or the
    #: city leader in charge.
    role: Required[Role]
    #: Makes the notice's dedupe key unique ("day-2021-03-12", "level-2").
    occasion: Required[str]
    #: Added to the template's context.
    extra: dict[str, Any] | None
    #: What the caller's batch of notices looked up once.
    batch: NoticeBatch | None


def notify(
    ctx: ServiceContext,
    uow: UnitOfWork,
    assignment: Assignment,
    kind: NoticeKind,
    **how: Unpack[NoticeOptions],
) -> Recipient | None:
    """Queue one notice about `assignment`.

    Returns the recipient, or None when the unit has nobody for that role (the caller audits
    it). A notice already queued under the same key is not queued again.
    """
    prepared = prepare_notice(ctx, uow, assignment, kind, **how)
    if prepared is None:
        return None
    recipient, row = prepared
    uow.notify(row)
    return recipient


def prepare_notice(
    ctx: ServiceContext,
    uow: UnitOfWork,
    assignment: Assignment,
    kind: NoticeKind,
    **how: Unpack[NoticeOptions],
) -> tuple[Recipient, dict[str, Any]] | None:
    """The notice `notify` would queue, and to whom, without queueing it (the sweep gathers a
    leader's escalations of a day into one e-mail)."""
    role, occasion, batch = how["role"], how["occasion"], how.get("batch")
    delegation = None
    if role is Role.OFFICER and batch is not None:
        delegation = batch.delegations.get(assignment.unit_id)
    elif role is Role.OFFICER:
        delegation = active_delegation(uow.session, assignment.unit_id, local_date(uow.clock.now()))
    recipient = recipient_for(assignment.unit, role, delegation)
    if recipient is None:
        return None
    language = assignment.unit.language or ctx.default_language
    context = base_context(ctx, assignment, recipient) | {
        "links": links_for(ctx, assignment, recipient, role),
        "links_expire_on": local_date(ctx.clock.now() + timedelta(days=ctx.link_valid_days)),
        "acting_for": recipient.acting_for,
    }
    whole = context | (how.get("extra") or {})
    rendered = render(kind, language, whole)
    return recipient, notice_row(
        dedupe_key=f"{term_of(assignment)}:{kind.value}:{occasion}:{role.value}",
        kind=kind,
        language=language,
        recipient=recipient,
        rendered=rendered,
        now=uow.clock.now(),
        message_id_domain=ctx.message_id_domain,
        directive_id=assignment.directive_id,
        assignment_id=assignment.id,
    )


def term_of(assignment: Assignment) -> str:
    """The assignment as one unit holds it, the first part of its notices' keys. A reassigned
    assignment is the same row with a new unit, a new `assigned_at` and a fresh start, so the
    new unit's receipt or its escalation for the same late deadline is its own notice, not
    one the old unit was already sent."""
    since = assignment.assigned_at.astimezone(UTC)
    return f"a{assignment.id}@{since:%Y%m%dT%H%M%S%f}"


def notify_moved_away(
    ctx: ServiceContext,
    uow: UnitOfWork,
    assignment: Assignment,
    old_unit: Unit,
    *,
    occasion: str,
    reason: str,
) -> None:
    """Tell the unit a part was moved away from that it no longer does it, to whom it went
    and why. No action links: the part is not the old unit's any more, and the links it was
    sent before are refused from now on."""
    delegation = active_delegation(uow.session, old_unit.id, local_date(uow.clock.now()))
    recipient = recipient_for(old_unit, Role.OFFICER, delegation)
    if recipient is None:  # nobody to tell: the audit event is the record
        return
    language = old_unit.language or ctx.default_language
    context = base_context(ctx, assignment, recipient) | {
        "unit_name": old_unit.name,
        "unit_code": old_unit.code,
        "new_unit_name": assignment.unit.name,
        "reason": reason,
        "acting_for": recipient.acting_for,
    }
    kind = NoticeKind.REASSIGNED_AWAY
    uow.notify(
        notice_row(
            dedupe_key=f"a{assignment.id}:{kind.value}:{occasion}:{old_unit.code}",
            kind=kind,
            language=language,
            recipient=recipient,
            rendered=render(kind, language, context),
            now=uow.clock.now(),
            message_id_domain=ctx.message_id_domain,
            directive_id=assignment.directive_id,
            assignment_id=assignment.id,
        )
    )
