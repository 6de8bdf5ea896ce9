"""synthetic prompts: batches and the prompts each generated, with dedup verdicts and provenance

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported, so later changes to the app cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "synthetic_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("review_project_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("template_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bar", sa.Float(), nullable=False),
        sa.Column("min_reviewed", sa.Integer(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("decision", JSON, nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("synthetic_batches", "project_id", "projects", "CASCADE"),
        _fk("synthetic_batches", "review_project_id", "projects", "SET NULL"),
        _fk("synthetic_batches", "owner_id", "users", "SET NULL"),
        _fk("synthetic_batches", "job_id", "jobs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synthetic_batches")),
    )
    op.create_index("ix_synthetic_batches_project_id", "synthetic_batches", ["project_id"])
    op.create_table(
        "synthetic_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stratum", sa.String(length=100), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("origin", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("dedup", JSON, nullable=False),
        sa.Column("review_item_id", sa.Integer(), nullable=True),
        sa.Column("released_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("synthetic_prompts", "batch_id", "synthetic_batches", "CASCADE"),
        _fk("synthetic_prompts", "review_item_id", "items", "SET NULL"),
        _fk("synthetic_prompts", "released_item_id", "items", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synthetic_prompts")),
        sa.UniqueConstraint(
            "batch_id", "unit_key", "position", name=op.f("uq_synthetic_prompts_batch_id_unit_key_position")
        ),
    )
    op.create_index("ix_synthetic_prompts_batch_id_status", "synthetic_prompts", ["batch_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_synthetic_prompts_batch_id_status", table_name="synthetic_prompts")
    op.drop_table("synthetic_prompts")
    op.drop_index("ix_synthetic_batches_project_id", table_name="synthetic_batches")
    op.drop_table("synthetic_batches")
