"""qualification sets and flag threshold: a project's qualification size, threshold and flag threshold;
each annotator's qualification attempt

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualification_size", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("qualification_threshold", sa.Float(), server_default="0.8", nullable=False)
        )
        batch_op.add_column(sa.Column("flag_threshold", sa.Integer(), nullable=True))
    op.create_table(
        "qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("judged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reset_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_qualifications_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reset_by_id"],
            ["users.id"],
            name=op.f("fk_qualifications_reset_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_qualifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
        sa.UniqueConstraint("project_id", "user_id", name=op.f("uq_qualifications_project_id_user_id")),
    )


def downgrade() -> None:
    op.drop_table("qualifications")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("flag_threshold")
        batch_op.drop_column("qualification_threshold")
        batch_op.drop_column("qualification_size")
