"""console indexes: a trigram search index over items' search text (SQLite FTS5 up to a high-water
mark, PostgreSQL pg_trgm GIN), partial indexes for the items list's gold, search-text and stale-confidence
checks, the confidence sort, counts by status, and judgments by project and annotator

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names and predicates below are those of quorum.db.text_index and quorum.models.item (a migration
# keeps its own copy: it must build the schema as it was, whatever the code says later).
FTS = "items_search"
PG_INDEX = "ix_items_search_trgm"
GOLD = "gold IS NOT NULL AND gold <> 'null'"
STALE = "judgment_count > 0 AND (confidence_n IS NULL OR confidence_n <> judgment_count)"
PARTIAL = {
    "ix_items_not_gold": f"NOT ({GOLD})",
    "ix_items_unsearchable": "search_text IS NULL",
    "ix_items_confidence_stale": STALE,
}
STATE = "items_search_state"
# On SQLite the FTS table holds exactly the items up to ``items_search_state.indexed_up_to`` (the mark):
# newer items are indexed later in chunks (``quorum.db.text_index.catch_up``), off the import's path, and
# searched by LIKE until then. So there is no insert trigger, and the others act on rows up to the mark
# only (an external-content FTS5 'delete' of a row it never indexed corrupts it). A delete keeps the mark
# at most the largest id left: SQLite gives a new row the largest id plus one, which must land above it.
# A later migration that rebuilds ``items`` on SQLite (batch_alter_table copies it into a new table)
# drops these triggers with the old table and must create them again.
INDEXED = f"(SELECT indexed_up_to FROM {STATE})"
LARGEST = "(SELECT coalesce(max(id), 0) FROM items)"
SQLITE_TRIGGERS = {
    "items_search_delete": f"""AFTER DELETE ON items WHEN old.id <= {INDEXED} BEGIN
        INSERT INTO {FTS} ({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        UPDATE {STATE} SET indexed_up_to = {LARGEST} WHERE indexed_up_to > {LARGEST};
    END""",
    "items_search_update": f"""AFTER UPDATE OF search_text ON items WHEN old.id <= {INDEXED} BEGIN
        INSERT INTO {FTS} ({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS} (rowid, search_text) VALUES (new.id, new.search_text);
    END""",
}


def _search_index() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where it cannot
        # be created the search reads every row instead, and finds the same items.
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError:
            return
        op.execute(f"CREATE INDEX {PG_INDEX} ON items USING gin (search_text gin_trgm_ops)")
        return
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_text, content='items', content_rowid='id',"
        " tokenize='trigram case_sensitive 1')"
    )
    op.execute(f"CREATE TABLE {STATE} (indexed_up_to INTEGER NOT NULL)")
    op.execute(f"INSERT INTO {STATE} (indexed_up_to) SELECT coalesce(max(id), 0) FROM items")
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")


def upgrade() -> None:
    for name, where in PARTIAL.items():
        op.create_index(
            name,
            "items",
            ["project_id", "id"],
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )
    op.create_index(
        "ix_items_project_confidence",
        "items",
        ["project_id", sa.text("coalesce(confidence, -1.0)"), "id"],
        unique=False,
    )
    op.create_index("ix_items_project_status", "items", ["project_id", "status", "id"], unique=False)
    op.create_index(
        "ix_judgments_project_user", "judgments", ["project_id", "user_id", "item_id"], unique=False
    )
    _search_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(f"DROP TABLE {FTS}")
        op.execute(f"DROP TABLE {STATE}")
    op.drop_index("ix_judgments_project_user", table_name="judgments")
    op.drop_index("ix_items_project_status", table_name="items")
    op.drop_index("ix_items_project_confidence", table_name="items")
    for name in PARTIAL:
        op.drop_index(name, table_name="items")
