"""A single-use link used: its nonce is written in the action's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from followup.db.models import UsedLink
from followup.links import LinkClaims, LinkError


def consume(session: Session, claims: LinkClaims, *, now: datetime) -> None:
    """Record a single-use link as used, in the caller's transaction; refuse a second use."""
    if not claims.action.single_use:
        return
    try:
        with session.begin_nested():
            session.add(
                UsedLink(
                    nonce=claims.nonce,
                    assignment_id=claims.assignment_id,
                    action=claims.action.value,
                    used_at=now,
                )
            )
    except IntegrityError as exc:
        raise LinkError(
            "replayed", "Liên kết này đã được dùng; mỗi liên kết chỉ dùng một lần."
        ) from exc


@dataclass(frozen=True)
class LinkUse:
    """An action carried out through a single-use link: its nonce is written in the action's
    own transaction (see `followup.services.write.actions`), before the state moves, so a replay
    is refused as a replay and a failed action leaves the link usable."""

    claims: LinkClaims

    def write(self, session: Session, assignment_id: int, now: datetime) -> None:
        if assignment_id != self.claims.assignment_id:
            raise LinkError("other_unit", "Liên kết này thuộc về một nhiệm vụ hoặc đơn vị khác.")
        consume(session, self.claims, now=now)
