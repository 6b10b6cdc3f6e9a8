"""Notice bodies compressed with lz4 on PostgreSQL.

An escalation's text and HTML are about 8 KB together, above the TOAST threshold, so every
outbox row is compressed as it is written. With pglz (the default) that is about a third of
the sweep's INSERT of its notices; lz4 writes them in two thirds of the time (`bench.sweep`).
A server built without lz4, or older than PostgreSQL 14, keeps pglz. SQLite: nothing to do.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 01:50:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import NotSupportedError, ProgrammingError

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("body_text", "body_html")


def _set(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in _COLUMNS)
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"ALTER TABLE notices {columns}")
    except (NotSupportedError, ProgrammingError):
        # Built without lz4, or older than 14 (no COMPRESSION clause): pglz stays, which
        # only costs time. Anything else (a lock timeout, a permission) fails the upgrade.
        pass


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("default")
