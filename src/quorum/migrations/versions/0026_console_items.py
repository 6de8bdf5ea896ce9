"""console: items search text, cached confidence, review requests and list indexes; item comments and
the project's annotator_comments policy

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def _strings(value: Any, out: list[str]) -> None:
    # The same reading as quorum.core.search_text (a migration must not import application code).
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def _backfill() -> None:
    bind = op.get_bind()
    items = sa.table("items", sa.column("id", sa.Integer), sa.column("payload"), sa.column("search_text"))
    after = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, items.c.payload).where(items.c.id > after).order_by(items.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for item_id, payload in rows:
            data = json.loads(payload) if isinstance(payload, str) else payload
            out: list[str] = []
            _strings(data, out)
            bind.execute(
                items.update().where(items.c.id == item_id).values(search_text="\n".join(out).casefold())
            )
        after = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("confidence_n", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("review_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.create_index("ix_items_project_priority", ["project_id", "priority", "id"], unique=False)
        batch_op.create_index(
            "ix_items_project_judgments", ["project_id", "judgment_count", "id"], unique=False
        )
    op.create_index(
        "ix_items_review_requested",
        "items",
        ["project_id", "id"],
        unique=False,
        postgresql_where=sa.text("review_requested"),
        sqlite_where=sa.text("review_requested"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("annotator_comments", sa.String(16), server_default="hidden", nullable=False)
        )
    op.create_table(
        "item_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_item_comments_item_id", "item_comments", ["item_id", "id"], unique=False)
    _backfill()


def downgrade() -> None:
    op.drop_index("ix_item_comments_item_id", table_name="item_comments")
    op.drop_table("item_comments")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("annotator_comments")
    op.drop_index("ix_items_review_requested", table_name="items")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_project_judgments")
        batch_op.drop_index("ix_items_project_priority")
        batch_op.drop_column("review_requested")
        batch_op.drop_column("confidence_n")
        batch_op.drop_column("confidence")
        batch_op.drop_column("search_text")
