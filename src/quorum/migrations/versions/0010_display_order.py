"""display order: the seed each assignment draws its candidates' order from, and the order each judgment
was shown

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_seed", sa.Integer(), nullable=True))
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_order", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.drop_column("display_order")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("order_seed")
