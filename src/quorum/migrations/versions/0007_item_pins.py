"""item pins: managers reserve an item for named annotators

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 17:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_pins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_pins_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_item_pins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_pins")),
        sa.UniqueConstraint("item_id", "user_id", name=op.f("uq_item_pins_item_id_user_id")),
    )
    with op.batch_alter_table("item_pins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_pins_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_pins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_pins_user_id"))
    op.drop_table("item_pins")
