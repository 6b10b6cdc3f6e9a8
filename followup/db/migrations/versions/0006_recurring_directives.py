"""Directives that repeat every month, quarter or year.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recurring_directives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("every", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directives.id"],
            name=op.f("fk_recurring_directives_directive_id_directives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_directives")),
        sa.UniqueConstraint("directive_id", name=op.f("uq_recurring_directives_directive_id")),
    )


def downgrade() -> None:
    op.drop_table("recurring_directives")
