"""active learning: each reward score keeps the ensemble's variance and the reward of the item's first
response (convincing_wrong reads it after a rerun skipped the batch); each selection keeps the priority
its item had before the boost and when a later selection released the boost

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from quorum.db.types import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reward_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variance", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("reward", sa.Float(), nullable=True))
    with op.batch_alter_table("active_selections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prior_priority", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("released_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("active_selections", schema=None) as batch_op:
        batch_op.drop_column("released_at")
        batch_op.drop_column("prior_priority")
    with op.batch_alter_table("reward_scores", schema=None) as batch_op:
        batch_op.drop_column("reward")
        batch_op.drop_column("variance")
