"""workspace: drafts per assignment, earlier versions of edited judgments, the lease extension bound

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from quorum.db.types import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_lease_extension_seconds", sa.Integer(), server_default="3600", nullable=True)
        )
    op.create_table(
        "drafts",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("active_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_drafts_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_drafts")),
    )
    op.create_table(
        "judgment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("judgment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("time_spent_ms", sa.Integer(), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["judgment_id"],
            ["judgments.id"],
            name=op.f("fk_judgment_versions_judgment_id_judgments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgment_versions")),
        sa.UniqueConstraint("judgment_id", "version", name=op.f("uq_judgment_versions_judgment_id_version")),
    )
    with op.batch_alter_table("judgment_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_judgment_versions_judgment_id"), ["judgment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("judgment_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judgment_versions_judgment_id"))
    op.drop_table("judgment_versions")
    op.drop_table("drafts")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("max_lease_extension_seconds")
