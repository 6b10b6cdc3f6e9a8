"""The escalation sweep: find stalled steps in our database and apply what is due, once.

Index-backed: every open assignment carries `next_check_on`, the first day anything could be
due for it, so the sweep reads only the rows that need a look. Safe to run twice at once:
rows are locked with SKIP LOCKED on PostgreSQL (SQLite's single writer serialises), each
action moves the assignment's schedule past `as_of`, and every notice has a unique key.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from followup.db.models import Assignment
from followup.db.session import UnitOfWork
from followup.domain.clock import local_date
from followup.domain.escalation import DueAction, DueKind, after, plan
from followup.domain.policy import Role
from followup.domain.vocabulary import AuditAction, NoticeKind, label
from followup.notifications.outbox import Recipient, notice_row
from followup.notifications.render import render
from followup.services.context import ServiceContext
from followup.services.notices import NoticeBatch, notify, prepare_notice, recipient_for
from followup.services.queries import assignment_options
from followup.services.tracking import snapshot

log = logging.getLogger(__name__)

SWEEP_ACTOR = "hệ thống: đôn đốc tự động"


@dataclass
class SweepResult:
    as_of: date
    examined: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    #: How each key of `actions` reads (e.g. "đôn đốc cấp 2 (chủ tịch / thủ trưởng đơn vị)").
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.actions.values())

    def by_label(self) -> dict[str, int]:
        """The counts as a person reads them, in key order."""
        return {self.labels.get(k, k): n for k, n in sorted(self.actions.items())}


def sweep(
    ctx: ServiceContext, *, as_of: datetime | date | None = None, batch_size: int = 500
) -> SweepResult:
    """Apply everything due on `as_of` (default: the clock's today), one batch per transaction."""
    if isinstance(as_of, datetime):
        today = local_date(as_of)
    elif isinstance(as_of, date):
        today = as_of
    else:
        today = local_date(ctx.clock.now())
    result = SweepResult(as_of=today)
    while True:
        with ctx.uow() as uow:
            rows = list(
                uow.session.execute(
                    select(Assignment)
                    .where(Assignment.next_check_on <= today)
                    .order_by(Assignment.next_check_on, Assignment.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True, of=Assignment)
                    .options(*assignment_options())
                ).scalars()
            )
            if not rows:
                return result
            gathered = LeaderEscalations()
            # Who stands in for whom, once per batch, as of the day the notices are written.
            batch = NoticeBatch.on(uow.session, local_date(uow.clock.now()))
            for assignment in rows:
                _apply_due(ctx, uow, assignment, today, result, gathered, batch)
            gathered.queue(ctx, uow, today)
            uow.commit()
        result.examined += len(rows)


def _apply_due(
    ctx: ServiceContext,
    uow: UnitOfWork,
    a: Assignment,
    today: date,
    result: SweepResult,
    gathered: LeaderEscalations,
    batch: NoticeBatch,
) -> None:
    snap = snapshot(a)
    due = plan(snap, today, ctx.policy, ctx.calendar)
    for action in due.actions:
        _carry_out(ctx, uow, a, action, today, gathered, batch)
        snap = after(snap, action, today)
        key = _key(action)
        result.actions[key] += 1
        result.labels[key] = _describe(ctx, action)
    if due.actions:
        a.escalation_step = snap.escalation_step
        a.escalation_level = snap.escalation_level
        a.escalated_on = snap.escalated_on
        a.reminder_sent_for = snap.reminder_sent_for
        a.progress_requested_for = snap.progress_requested_for
    later = plan(snap, today, ctx.policy, ctx.calendar)
    if later.actions:  # cannot happen with a valid policy; never loop on it
        log.error(
            "followup: phần việc #%s vẫn còn bước đến hạn sau khi quét: %s", a.id, later.actions
        )
        a.next_check_on = today + timedelta(days=1)
    else:
        a.next_check_on = later.next_check_on


def _key(action: DueAction) -> str:
    return f"escalation_L{action.level}" if action.kind is DueKind.ESCALATION else action.kind.value


def _describe(ctx: ServiceContext, action: DueAction) -> str:
    if action.kind is not DueKind.ESCALATION or action.level is None:
        return label(action.kind)
    role = ctx.policy.level(action.level).recipient
    return f"{label(action.kind)} cấp {action.level} ({label(role)})"


def _carry_out(
    ctx: ServiceContext,
    uow: UnitOfWork,
    a: Assignment,
    action: DueAction,
    today: date,
    gathered: LeaderEscalations,
    batch: NoticeBatch,
) -> None:
    common = {"directive": a.directive.code, "unit": a.unit.code, "about": action.about}
    kind, role = NoticeKind.REMINDER, Role.OFFICER
    extra: dict[str, Any] = {}
    event, details = AuditAction.REMINDED, common
    if action.kind is DueKind.REMINDER:
        extra = {"working_days_left": ctx.calendar.working_days_between(today, a.due_on)}
    elif action.kind is DueKind.PROGRESS_REQUEST:
        kind, event = NoticeKind.PROGRESS_REQUEST, AuditAction.PROGRESS_REQUESTED
        extra = {"progress_due_on": action.about}
    else:
        if action.level is None or action.step_kind is None:
            raise ValueError(f"escalation without level or step: {action}")
        kind, event = NoticeKind.ESCALATION, AuditAction.ESCALATED
        role = ctx.policy.level(action.level).recipient
        officer = recipient_for(a.unit, Role.OFFICER)
        extra = {
            "level": action.level,
            "step_kind": action.step_kind.value,
            "step_due_on": action.about,
            "days_late": ctx.calendar.working_days_between(action.about, today),
            "officer_name": officer.name if officer else "",
        }
        details = common | {"level": action.level, "step": action.step, "role": role.value}
    if role is Role.LEADER:  # gathered: one e-mail per leader for the batch
        prepared = prepare_notice(
            ctx, uow, a, kind, role=role, occasion=action.key, extra=extra, batch=batch
        )
        sent_to = gathered.add(prepared)
    else:
        sent_to = notify(
            ctx,
            uow,
            a,
            kind,
            role=role,
            occasion=action.key,
            extra=extra,
            batch=batch,
        )
    uow.record(
        event,
        actor=SWEEP_ACTOR,
        directive_id=a.directive_id,
        assignment_id=a.id,
        details=details
        | {"recipient": sent_to.email if sent_to else None}
        # A delegated officer: the audit names the acting officer and whom they stand in for.
        | ({"acting_for": sent_to.acting_for} if sent_to and sent_to.acting_for else {}),
    )


@dataclass
class LeaderEscalations:
    """The escalations a sweep batch sends to leaders, gathered into one e-mail per leader
    (the city leader in charge of five communes would otherwise get one e-mail per late
    item). Each item keeps its own audit event; the gathered notice is written in the same
    transaction as those events, under a key made of its items' keys, so every item goes out
    exactly once, in exactly one e-mail."""

    items: dict[str, list[tuple[Recipient, dict[str, Any]]]] = field(default_factory=dict)

    def add(self, prepared: tuple[Recipient, dict[str, Any]] | None) -> Recipient | None:
        if prepared is None:
            return None
        recipient, _row = prepared
        self.items.setdefault(recipient.email, []).append(prepared)
        return recipient

    def queue(self, ctx: ServiceContext, uow: UnitOfWork, today: date) -> None:
        org_name = ctx.organisation(uow.session)
        for email, items in self.items.items():
            recipient = items[0][0]
            rows = [row for _r, row in items]
            keys = "\n".join(sorted(row["dedupe_key"] for row in rows))
            language = ctx.default_language  # the city's language, whatever the units'
            rendered = render(
                NoticeKind.ESCALATIONS,
                language,
                {
                    "org_name": org_name,
                    "recipient_name": recipient.name,
                    "day": today,
                    "items": [
                        {"subject": row["subject"], "text": _item_text(row["body_text"])}
                        for row in rows
                    ],
                    "links": [],
                },
            )
            uow.notify(
                notice_row(
                    dedupe_key=f"escalations:{email}:{today.isoformat()}:"
                    + hashlib.sha256(keys.encode()).hexdigest()[:24],
                    kind=NoticeKind.ESCALATIONS,
                    language=language,
                    recipient=recipient,
                    rendered=rendered,
                    now=uow.clock.now(),
                    message_id_domain=ctx.message_id_domain,
                )
            )


def _item_text(body: str) -> str:
    """An escalation's text without its greeting, closing and footer (the gathered e-mail has
    its own)."""
    lines = body.strip().splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith(_GREETINGS)), 0)
    end = next(
        (i for i, line in enumerate(lines) if i >= start and line.startswith(_CLOSINGS)),
        len(lines),
    )
    # The unit's page link (a leader gets no action buttons) stays with its item.
    links = [line for line in lines[end:] if line.startswith("- ") and "://" in line]
    return "\n".join([*lines[start:end], *links]).strip()


_GREETINGS = ("Kính gửi", "Dear ")
_CLOSINGS = ("Trân trọng", "Yours sincerely", "--")
