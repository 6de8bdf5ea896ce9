"""adaptive overlap: a project's maximum, rule and confidence target; an item's own target

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overlap_max", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("overlap_rule", sa.String(length=50), server_default="agreement", nullable=False)
        )
        batch_op.add_column(sa.Column("confidence_target", sa.Float(), server_default="1", nullable=False))
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overlap_target", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("overlap_target")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("confidence_target")
        batch_op.drop_column("overlap_rule")
        batch_op.drop_column("overlap_max")
