"""Extension requests, delegations to an acting officer, and evidence files on reports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("current_due_on", sa.Date(), nullable=False),
        sa.Column("requested_due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','approved','refused','lapsed')",
            name=op.f("ck_extension_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_extension_requests_assignment_id_assignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
    )
    op.create_index(
        op.f("ix_extension_requests_assignment_id"), "extension_requests", ["assignment_id"]
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("acting_name", sa.String(length=255), nullable=False),
        sa.Column("acting_email", sa.String(length=320), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_delegations_range_ordered")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_delegations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    op.create_index(op.f("ix_delegations_unit_id"), "delegations", ["unit_id"])
    with op.batch_alter_table("progress_reports") as batch:
        batch.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("evidence_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("evidence_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("evidence_size", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("progress_reports") as batch:
        batch.drop_column("evidence_size")
        batch.drop_column("evidence_type")
        batch.drop_column("evidence_name")
        batch.drop_column("evidence_sha256")
    op.drop_index(op.f("ix_delegations_unit_id"), table_name="delegations")
    op.drop_table("delegations")
    op.drop_index(op.f("ix_extension_requests_assignment_id"), table_name="extension_requests")
    op.drop_table("extension_requests")
