"""gold: a project's gold rate, each gold judgment's score, an index of open gold items

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_GOLD = sa.text("status = 'open' AND gold IS NOT NULL AND gold <> 'null'")


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gold_rate", sa.Float(), server_default="0", nullable=False))
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gold_score", sa.Float(), nullable=True))
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_gold",
            ["project_id", "id"],
            unique=False,
            postgresql_where=OPEN_GOLD,
            sqlite_where=OPEN_GOLD,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_gold")
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.drop_column("gold_score")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("gold_rate")
