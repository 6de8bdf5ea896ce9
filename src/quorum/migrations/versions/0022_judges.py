"""judges: models attached to a project that answer its items, their verdicts, and the routing flag

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from quorum.db.types import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "judges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("attached_by_id", sa.Integer(), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=False),
        sa.Column("routing", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("route_min_confidence", sa.Float(), server_default="0.8", nullable=False),
        sa.Column("route_lowered_target", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_judges_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["model_endpoints.id"],
            name=op.f("fk_judges_model_id_model_endpoints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["attached_by_id"], ["users.id"], name=op.f("fk_judges_attached_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judges")),
        sa.UniqueConstraint("project_id", "model_name", name=op.f("uq_judges_project_id_model_name")),
    )
    op.create_index(op.f("ix_judges_project_id"), "judges", ["project_id"])
    op.create_table(
        "judge_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer", JSON, nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("consistent", sa.Boolean(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["judge_id"], ["judges.id"], name=op.f("fk_judge_verdicts_judge_id_judges"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_judge_verdicts_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_verdicts")),
        sa.UniqueConstraint("judge_id", "item_id", name=op.f("uq_judge_verdicts_judge_id_item_id")),
    )
    op.create_index(op.f("ix_judge_verdicts_item_id"), "judge_verdicts", ["item_id"])
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("judge_routing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("judge_routing")
    op.drop_index(op.f("ix_judge_verdicts_item_id"), table_name="judge_verdicts")
    op.drop_table("judge_verdicts")
    op.drop_index(op.f("ix_judges_project_id"), table_name="judges")
    op.drop_table("judges")
