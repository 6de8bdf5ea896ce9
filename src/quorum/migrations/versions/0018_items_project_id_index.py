"""items: an index on (project_id, id) for keyset pages of one project's items

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-01 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_items_project_id_id", "items", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_project_id_id", table_name="items")
