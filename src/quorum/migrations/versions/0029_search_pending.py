"""search pending: PostgreSQL's trigram index leaves the items a bulk import writes to a job, as SQLite's
FTS index does since 0028: ``items.search_pending`` marks them, the GIN index covers the others only

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names of quorum.db.text_index (a migration keeps its own copy).
PG_INDEX = "ix_items_search_trgm"
PENDING_INDEX = "ix_items_search_pending"


def upgrade() -> None:
    bind = op.get_bind()
    # Every existing item is in the index already: false, with no rewrite of the table on either database
    # (PostgreSQL stores a constant default in the catalogue; SQLite adds the column in place, keeping
    # 0028's triggers).
    op.add_column(
        "items", sa.Column("search_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index(
        PENDING_INDEX,
        "items",
        ["project_id", "id"],
        postgresql_where=sa.text("search_pending"),
        sqlite_where=sa.text("search_pending"),
    )
    if bind.dialect.name != "postgresql":
        return
    # New rows wait for the job (SQLite's own default stays false: its FTS index goes by a mark instead).
    op.execute("ALTER TABLE items ALTER COLUMN search_pending SET DEFAULT true")
    if bind.scalar(sa.text(f"SELECT to_regclass('{PG_INDEX}')")) is None:
        return  # pg_trgm could not be created (0028): the search reads every row
    op.execute(f"DROP INDEX {PG_INDEX}")
    op.execute(
        f"CREATE INDEX {PG_INDEX} ON items USING gin (search_text gin_trgm_ops) WHERE NOT search_pending"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.scalar(sa.text(f"SELECT to_regclass('{PG_INDEX}')")):
        op.execute(f"DROP INDEX {PG_INDEX}")
        op.execute(f"CREATE INDEX {PG_INDEX} ON items USING gin (search_text gin_trgm_ops)")
    op.drop_index(PENDING_INDEX, table_name="items")
    # In place on SQLite too (3.35+): a batch rebuild of items would drop 0028's triggers with the old table.
    op.execute("ALTER TABLE items DROP COLUMN search_pending")
