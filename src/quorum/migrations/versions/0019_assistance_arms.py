"""assistance: the project's shares of assisted assignments, and the arms each assignment drew

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestion_share", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("suggestion_mode", sa.String(16), server_default="hint", nullable=False)
        )
        batch_op.add_column(sa.Column("probe_rate", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("probe_flag_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("critique_share", sa.Float(), server_default="0", nullable=False))
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assistance", JSON, nullable=True))
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assistance", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.drop_column("assistance")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("assistance")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        for name in (
            "critique_share",
            "probe_flag_threshold",
            "probe_rate",
            "suggestion_mode",
            "suggestion_share",
        ):
            batch_op.drop_column(name)
