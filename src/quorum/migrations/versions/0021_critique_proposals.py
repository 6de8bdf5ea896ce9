"""critique_proposals: a critic model's comments per item and candidate, with their provenance

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from quorum.db.types import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "critique_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("model_call_id", sa.Integer(), nullable=True),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("remote_model", sa.String(length=200), nullable=False),
        sa.Column("template_version", sa.String(length=40), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("comments", JSON, nullable=False),
        sa.Column("dropped", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_critique_proposals_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_critique_proposals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critique_proposals")),
    )
    op.create_index("ix_critique_proposals_item_id_position", "critique_proposals", ["item_id", "position"])
    op.create_index(op.f("ix_critique_proposals_project_id"), "critique_proposals", ["project_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_critique_proposals_project_id"), table_name="critique_proposals")
    op.drop_index("ix_critique_proposals_item_id_position", table_name="critique_proposals")
    op.drop_table("critique_proposals")
