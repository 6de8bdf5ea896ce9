"""candidates keyed by (item_id, position): the surrogate id, its sequence and the index on ``model`` go

No reader uses a candidate's id (exports, the models' ranking and the payload writer all go by item and
position) or looks candidates up by model, so the bulk import wrote a sequence value and two index
entries per candidate row for nothing. The unique (item_id, position) becomes the primary key; the
foreign key to items, with its ON DELETE CASCADE, stays as it was.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = "item_id, position, model, provider, params, created_at"


def _table(name: str, keyed_by_id: bool) -> sa.Table:
    """candidates as 0001 made it (``keyed_by_id``) or as this leaves it, for SQLite's rebuild."""
    meta = sa.MetaData()
    sa.Table("items", meta, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        name,
        meta,
        *([sa.Column("id", sa.Integer(), nullable=False)] if keyed_by_id else []),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_candidates_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(*(["id"] if keyed_by_id else ["item_id", "position"]), name="pk_candidates"),
        *(
            [sa.UniqueConstraint("item_id", "position", name="uq_candidates_item_id_position")]
            if keyed_by_id
            else []
        ),
    )


def _rebuild_sqlite(keyed_by_id: bool) -> None:
    # By hand rather than in batch mode, whose reflection would reach items through the foreign key (and
    # warn about its expression index). Nothing references candidates, so the copy can replace it.
    _table("_candidates_new", keyed_by_id).create(op.get_bind())
    op.execute(
        f"INSERT INTO _candidates_new ({COLUMNS}) SELECT {COLUMNS} FROM candidates ORDER BY item_id, position"
    )
    op.drop_table("candidates")
    op.rename_table("_candidates_new", "candidates")


def upgrade() -> None:
    op.drop_index("ix_candidates_model", table_name="candidates")
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(keyed_by_id=False)
        return
    # In place: the id's sequence goes with its column; the unique index's entries become the key's.
    op.execute("ALTER TABLE candidates DROP CONSTRAINT pk_candidates")
    op.execute("ALTER TABLE candidates DROP COLUMN id")
    op.execute("ALTER TABLE candidates DROP CONSTRAINT uq_candidates_item_id_position")
    op.execute("ALTER TABLE candidates ADD CONSTRAINT pk_candidates PRIMARY KEY (item_id, position)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SERIAL numbers the existing rows from a new sequence, as 0001 created the column.
        op.execute("ALTER TABLE candidates DROP CONSTRAINT pk_candidates")
        op.execute("ALTER TABLE candidates ADD COLUMN id SERIAL")
        op.execute("ALTER TABLE candidates ADD CONSTRAINT pk_candidates PRIMARY KEY (id)")
        op.create_unique_constraint("uq_candidates_item_id_position", "candidates", ["item_id", "position"])
    else:
        # The new table's INTEGER PRIMARY KEY numbers the copied rows (SQLite's rowid).
        _rebuild_sqlite(keyed_by_id=True)
    op.create_index("ix_candidates_model", "candidates", ["model"])
