"""Notices carry no picture: the digest's chart is drawn in HTML, with its names and numbers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("inline_png")


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("inline_png", sa.LargeBinary(), nullable=True))
