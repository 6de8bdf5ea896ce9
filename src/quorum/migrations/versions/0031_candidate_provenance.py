"""candidates' provenance moves into the item row: ``items.candidate_provenance``; the table goes

A bulk import wrote two candidate rows per pairwise item, each checked against its item by the foreign key
(a ``SELECT … FOR KEY SHARE`` per row, which dirtied the item's page again), and the importer waited for
that ``COPY`` at each block's end: about half of a 100k-item import on PostgreSQL. Every reader goes by
item (the export's page, the models' ranking, the payload writer), so the list of
``{position, model, provider, params}`` now sits beside the payload that holds the candidates' text,
written by the same statement. The rows' own ``created_at`` is not kept (nothing read it); the downgrade
gives each restored row its item's.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02 01:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported, so later changes to the app cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_PG_FILL = """
UPDATE items SET candidate_provenance = c.list
FROM (
  SELECT item_id, jsonb_agg(jsonb_build_object(
           'position', position, 'model', model, 'provider', provider, 'params', params
         ) ORDER BY position) AS list
  FROM candidates GROUP BY item_id
) c
WHERE c.item_id = items.id
"""
# SQLite 3.40 has no ORDER BY inside an aggregate: it aggregates an ordered subquery (exports/pages.py).
_SQLITE_FILL = """
UPDATE items SET candidate_provenance = (
  SELECT json_group_array(json(o)) FROM (
    SELECT json_object('position', position, 'model', model, 'provider', provider, 'params', json(params)) AS o
    FROM candidates c WHERE c.item_id = items.id ORDER BY position))
WHERE id IN (SELECT item_id FROM candidates)
"""
_PG_RESTORE = """
INSERT INTO candidates (item_id, position, model, provider, params, created_at)
SELECT i.id, (c->>'position')::int, c->>'model', c->>'provider', COALESCE(c->'params', '{}'), i.created_at
FROM items i CROSS JOIN jsonb_array_elements(i.candidate_provenance) c
"""
_SQLITE_RESTORE = """
INSERT INTO candidates (item_id, position, model, provider, params, created_at)
SELECT i.id, json_extract(c.value, '$.position'), json_extract(c.value, '$.model'),
       json_extract(c.value, '$.provider'), COALESCE(json(json_extract(c.value, '$.params')), '{}'), i.created_at
FROM items i, json_each(i.candidate_provenance) c
"""


def upgrade() -> None:
    op.add_column(
        "items", sa.Column("candidate_provenance", JSON, server_default=sa.text("'[]'"), nullable=False)
    )
    postgresql_ = op.get_bind().dialect.name == "postgresql"
    op.execute(_PG_FILL if postgresql_ else _SQLITE_FILL)
    op.drop_table("candidates")


def downgrade() -> None:
    # The table as 0030 left it.
    op.create_table(
        "candidates",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_candidates_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "position", name="pk_candidates"),
    )
    postgresql_ = op.get_bind().dialect.name == "postgresql"
    op.execute(_PG_RESTORE if postgresql_ else _SQLITE_RESTORE)
    if postgresql_:
        op.drop_column("items", "candidate_provenance")
    else:
        # Batch mode would rebuild items (and reflect its expression index); SQLite 3.35+ drops a column
        # in place when nothing (index, view, trigger) names it.
        op.execute("ALTER TABLE items DROP COLUMN candidate_provenance")
