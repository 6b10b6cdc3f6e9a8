"""Inserting rows that may exist already, on either database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from followup.db.base import Base


def insert_once(session: Session, model: type[Base], key: str, rows: list[dict[str, Any]]) -> None:
    """Add `rows` in the caller's transaction, in one statement; a row whose `key` exists
    already (written before, or by another transaction at the same moment) is skipped."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).on_conflict_do_nothing(index_elements=[key]), rows)
