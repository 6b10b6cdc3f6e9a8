"""The audit trail's projection: each assignment's facts after each event (period reports read
it with one GROUP BY instead of replaying the trail). Filled from the existing trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("seq_from", sa.Integer(), nullable=False),
        sa.Column("seq_to", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("original_due_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extension_approved", sa.Boolean(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("last_action", sa.String(length=64), nullable=False),
        sa.Column("last_action_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_versions")),
    )
    op.create_index(
        "ix_assignment_versions_current", "assignment_versions", ["assignment_id", "seq_to"]
    )
    op.create_index("ix_assignment_versions_valid", "assignment_versions", ["seq_to", "seq_from"])
    # The trail written before this revision, folded the way new events are.
    from followup.db.projection import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_assignment_versions_valid", table_name="assignment_versions")
    op.drop_index("ix_assignment_versions_current", table_name="assignment_versions")
    op.drop_table("assignment_versions")
