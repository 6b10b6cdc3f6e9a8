"""Notices the dispatcher gave up on: counted for people to see, and sent again on demand."""

from __future__ import annotations

from sqlalchemy import func, select

from followup.db.models import Notice
from followup.domain.errors import ValidationError
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.write.commands import RequeueNotices
from followup.services.write.results import Receipt, RequeuedNotices


def undelivered_count(ctx: ServiceContext) -> int:
    """How many notices were given up on and not re-queued since."""
    with ctx.session_factory() as session:
        return int(
            session.execute(
                select(func.count()).select_from(Notice).where(Notice.status == "failed")
            ).scalar_one()
        )


def requeue(ctx: ServiceContext, cmd: RequeueNotices, _receipt: Receipt | None) -> RequeuedNotices:
    """Pending again, due now, with a fresh span before it is given up on; one audit event
    per notice. Naming a notice that was not given up on is refused (nothing is written)."""
    with ctx.uow() as uow:
        query = select(Notice).where(Notice.status == "failed").with_for_update()
        if cmd.notice_ids:
            query = query.where(Notice.id.in_(cmd.notice_ids))
        rows = list(uow.session.execute(query).scalars())
        missing = sorted(set(cmd.notice_ids) - {row.id for row in rows})
        if missing:
            raise ValidationError(
                f"Thông báo số {missing[0]} không có hoặc không ở trạng thái 'không gửi được'."
            )
        now = ctx.clock.now()
        for row in rows:
            row.status = "pending"
            row.next_attempt_at = now
            row.created_at = now  # the give-up span starts again
            uow.record(
                AuditAction.NOTICE_REQUEUED,
                actor=cmd.actor,
                directive_id=row.directive_id,
                assignment_id=row.assignment_id,
                details={"notice": row.id, "kind": row.kind, "recipient": row.recipient_email},
            )
        uow.commit()
        return RequeuedNotices(len(rows))
