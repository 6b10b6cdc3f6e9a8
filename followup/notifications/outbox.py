"""The transactional outbox: notices are rows written with the change that caused them.

A notice's `dedupe_key` is unique: asking twice for the same notice (a retried action, two
sweeps at once) stores it once. Dispatchers *claim* pending rows with a lease (row locks with
SKIP LOCKED on PostgreSQL; SQLite's single writer does the same job), send, and mark each one
sent only once the SMTP server has accepted it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from followup.db.audit import AuditDraft, append_events
from followup.db.models import Notice
from followup.domain.lifecycle import LifecycleStep
from followup.domain.text import nfc
from followup.domain.vocabulary import AuditAction, NoticeKind
from followup.notifications.render import RenderedEmail
from followup.notifications.steps import of_step

#: Who the audit names for what the dispatcher decides on its own.
DISPATCHER = "hệ thống: gửi thư"


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    #: The officer an acting officer stands in for ("" when the person is the officer).
    acting_for: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    """What a dispatcher needs to send one notice, detached from any session."""

    id: int
    kind: str
    claim_token: str
    attempts: int
    recipient: Recipient
    subject: str
    text: str
    html: str
    message_id: str
    created_at: datetime
    directive_id: int | None = None
    assignment_id: int | None = None


def message_id_for(dedupe_key: str, domain: str) -> str:
    """Stable per notice: a resend after a crash carries the same Message-ID, so mail systems
    that deduplicate on it show the notice once."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def notice_row(
    *,
    dedupe_key: str,
    kind: NoticeKind,
    language: str,
    recipient: Recipient,
    rendered: RenderedEmail,
    now: datetime,
    message_id_domain: str,
    directive_id: int | None = None,
    assignment_id: int | None = None,
) -> dict[str, Any]:
    """The outbox row for one notice (written by the unit of work at commit)."""
    return {
        "dedupe_key": dedupe_key,
        "kind": kind.value,
        "language": language,
        "directive_id": directive_id,
        "assignment_id": assignment_id,
        "recipient_name": nfc(recipient.name),
        "recipient_email": recipient.email,
        "subject": rendered.subject,
        "body_text": rendered.text,
        "body_html": rendered.html,
        "message_id": message_id_for(dedupe_key, message_id_domain),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _claimable(
    now: datetime, limit: int, directive_id: int | None, step: LifecycleStep | None
) -> Select[int]:
    query = select(Notice.id).where(
        Notice.status == "pending",
        Notice.next_attempt_at <= now,
        or_(Notice.claimed_until.is_(None), Notice.claimed_until < now),
    )
    if directive_id is not None:
        query = query.where(Notice.directive_id == directive_id)
    if step is not None:
        query = query.where(of_step(step))
    return (
        query.order_by(Notice.next_attempt_at, Notice.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    directive_id: int | None = None,
    step: LifecycleStep | None = None,
) -> list[OutgoingMessage]:
    """Lease up to `limit` due notices to this dispatcher; nobody else sends them meanwhile."""
    token = uuid.uuid4().hex
    with session_factory() as session, session.begin():
        ids = list(session.execute(_claimable(now, limit, directive_id, step)).scalars())
        if not ids:
            return []
        session.execute(
            update(Notice)
            .where(Notice.id.in_(ids))
            .values(claim_token=token, claimed_until=now + lease)
        )
        rows = session.execute(
            select(Notice).where(Notice.claim_token == token).order_by(Notice.id)
        ).scalars()
        return [
            OutgoingMessage(
                id=row.id,
                kind=row.kind,
                claim_token=token,
                attempts=row.attempts,
                recipient=Recipient(row.recipient_name, row.recipient_email),
                subject=row.subject,
                text=row.body_text,
                html=row.body_html,
                message_id=row.message_id,
                created_at=row.created_at,
                directive_id=row.directive_id,
                assignment_id=row.assignment_id,
            )
            for row in rows
        ]


def renew(session_factory: sessionmaker[Session], token: str, *, until: datetime) -> set[int]:
    """Extend the lease of a batch's notices not yet sent (while its dispatcher is alive
    and still working on them); returns the ones it still holds."""
    with session_factory() as session, session.begin():
        return set(
            session.execute(
                update(Notice)
                .where(Notice.claim_token == token, Notice.status == "pending")
                .values(claimed_until=until)
                .returning(Notice.id)
            ).scalars()
        )


def _owned(message: OutgoingMessage) -> ColumnElement[bool]:
    return and_(
        Notice.id == message.id,
        Notice.claim_token == message.claim_token,
        Notice.status == "pending",
    )


def mark_sent_many(
    session_factory: sessionmaker[Session], sent: Sequence[tuple[OutgoingMessage, datetime]]
) -> None:
    """Mark notices the server accepted as sent, in one transaction (one commit for many)."""
    with session_factory() as session, session.begin():
        for message, at in sent:
            session.execute(
                update(Notice)
                .where(_owned(message))
                .values(
                    status="sent",
                    sent_at=at,
                    attempts=message.attempts + 1,
                    claimed_until=None,
                    last_error=None,
                )
            )


def mark_failed(
    session_factory: sessionmaker[Session],
    message: OutgoingMessage,
    *,
    error: str,
    retry_at: datetime | None,
    now: datetime,
) -> None:
    """Record a failed attempt: retry later, or give up (`retry_at` None) for a person to
    see: a notice given up on is an audit event, in the same transaction."""
    with session_factory() as session, session.begin():
        owned = session.execute(
            update(Notice)
            .where(_owned(message))
            .values(
                status="pending" if retry_at else "failed",
                attempts=message.attempts + 1,
                next_attempt_at=retry_at or Notice.next_attempt_at,
                claimed_until=None,
                claim_token=None,
                last_error=error[:2000],
            )
        )
        # Another dispatcher holds it now (this one's lease ran out): its story is theirs.
        if retry_at is None and owned.rowcount:  # type: ignore[attr-defined]
            append_events(
                session,
                [
                    AuditDraft(
                        occurred_at=now,
                        actor=DISPATCHER,
                        action=AuditAction.NOTICE_GIVEN_UP,
                        directive_id=message.directive_id,
                        assignment_id=message.assignment_id,
                        details={
                            "notice": message.id,
                            "kind": message.kind,
                            "recipient": message.recipient.email,
                            "attempts": message.attempts + 1,
                            "error": error[:500],
                        },
                    )
                ],
            )
