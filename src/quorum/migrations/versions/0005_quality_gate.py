"""quality gate: a project's minimum gold accuracy and how much gold counts before it applies

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_gold_accuracy", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("min_gold_judged", sa.Integer(), server_default="5", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("min_gold_judged")
        batch_op.drop_column("min_gold_accuracy")
