"""Writing outbox rows in the caller's transaction (the unit of work does it at commit).

Rendering a notice and sending it belong to `followup.notifications`; storing the row with
the change that caused it is the database's part, so the unit of work needs nothing above it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from followup.db.inserts import insert_once
from followup.db.models import Notice


def insert_notices(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add notices in the caller's transaction, in one statement; a notice whose dedupe key
    already exists is skipped (asked for twice, stored once)."""
    insert_once(session, Notice, "dedupe_key", rows)
