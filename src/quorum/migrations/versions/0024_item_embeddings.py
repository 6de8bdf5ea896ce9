"""embeddings: a store of item embeddings keyed by project, model, part, item and content hash; the
checkpoints of keyed batch runs

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from quorum.db.types import UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_embeddings_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_item_embeddings_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_embeddings")),
        sa.UniqueConstraint(
            "project_id",
            "model",
            "part",
            "item_id",
            "content_hash",
            name=op.f("uq_item_embeddings_project_id_model_part_item_id_content_hash"),
        ),
    )
    op.create_index(op.f("ix_item_embeddings_item_id"), "item_embeddings", ["item_id"], unique=False)
    op.create_table(
        "batch_checkpoints",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_batch_checkpoints_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "batch", name=op.f("pk_batch_checkpoints")),
    )
    op.create_index(
        op.f("ix_batch_checkpoints_project_id"), "batch_checkpoints", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_batch_checkpoints_project_id"), table_name="batch_checkpoints")
    op.drop_table("batch_checkpoints")
    op.drop_index(op.f("ix_item_embeddings_item_id"), table_name="item_embeddings")
    op.drop_table("item_embeddings")
