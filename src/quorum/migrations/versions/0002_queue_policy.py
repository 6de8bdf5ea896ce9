"""queue policy: lease limit, expertise rule, a queue index over open items only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 16:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_leases", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("required_expertise", JSON, server_default="{}", nullable=False))

    # The old index sorted priority ascending with id ascending, so "priority DESC, id" had to sort every
    # open item of the project on each claim; this one is walked in claim order and holds open items only.
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_queue")
        batch_op.create_index(
            "ix_items_queue",
            ["project_id", sa.desc("priority"), "id"],
            unique=False,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_queue")
        batch_op.create_index("ix_items_queue", ["project_id", "status", "priority", "id"], unique=False)

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("required_expertise")
        batch_op.drop_column("max_leases")
