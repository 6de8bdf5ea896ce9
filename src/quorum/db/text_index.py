"""The items list's search index over each item's search text (``core/search_text.py``): a trigram index
on both databases, so that a substring search reads the matching rows only. Migration 0028 builds it.

- SQLite: the FTS5 table ``items_search`` (trigram tokenizer, case-sensitive: the text and the query are
  casefolded in Python already) over ``items.search_text``. It holds the items up to a high-water mark
  (``items_search_state.indexed_up_to``), kept by triggers on updates and deletes of those; newer items
  (a bulk import's) cost the writer nothing and are searched with ``LIKE`` until ``catch_up`` (the
  ``items_search_index`` job after an import) indexes them in chunks and moves the mark. A query is one
  FTS5 phrase: its characters in sequence, which is exactly a substring match.
- PostgreSQL: a ``pg_trgm`` GIN index on ``items.search_text`` that serves the plain ``LIKE``.

A trigram index cannot serve a query shorter than three characters; those read every row with ``LIKE``,
which finds the same items. Either way a match is: the casefolded query is a substring of the casefolded
text, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import literal_column, select, text
from sqlalchemy.orm import Session

from quorum.core.search_text import ESCAPE, like_pattern
from quorum.db.dialect import is_postgresql
from quorum.models import Item

FTS_TABLE = "items_search"
STATE_TABLE = "items_search_state"
PG_INDEX = "ix_items_search_trgm"
# What the models do not declare (a virtual table and its shadow tables, an index with an operator class
# from an extension): the models-versus-migrations check leaves them out.
OUTSIDE_MODELS = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")),
        STATE_TABLE,
        PG_INDEX,
    }
)
SHORTEST_INDEXED = 3
# Items indexed per transaction by ``catch_up``: each holds SQLite's write lock for well under a second.
CATCH_UP_CHUNK = 5000


# Up to how many matches a page looks each of them up rather than walking its sort's index (below).
LOOKUP_UP_TO = 2000


def contains(db: Session, query: str, *, walk: bool = False) -> Any:
    """The condition on ``items``: its search text contains ``query``, casefolded.

    On SQLite the matches are read from the index (with, above its mark, the newer items whose text is
    ``LIKE`` the query) either way, then each is looked up among the items
    (what a count needs). ``walk`` instead leaves ``items.id`` out of the index choice (``+items.id``): a
    page of many matches walks its sort's index and stops after a page of them, rather than looking up
    and sorting every match; a page of few matches (``LOOKUP_UP_TO``) is cheaper looked up."""
    pattern = Item.search_text.like(like_pattern(query), escape=ESCAPE)
    folded = query.strip().casefold()
    if is_postgresql(db) or len(folded) < SHORTEST_INDEXED:
        return pattern
    phrase = '"' + folded.replace('"', '""') + '"'
    mark = indexed_up_to(db)
    # One id list, so the plans stay those of the index alone: its matches up to the mark, then the
    # newer items that match by LIKE (a range of the primary key, empty once the index caught up).
    matching: Any = (
        select(literal_column("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase), literal_column("rowid") <= mark)
        .union_all(select(Item.id).where(Item.id > mark, pattern))
    )
    return (literal_column("+items.id") if walk else Item.id).in_(matching)


def indexed_up_to(db: Session) -> int:
    """SQLite: the largest item id the FTS table holds (every item up to it, none above)."""
    return int(db.scalar(text(f"SELECT indexed_up_to FROM {STATE_TABLE}")) or 0)


def unindexed_at_least(db: Session, n: int) -> bool:
    """SQLite: whether ``n`` or more items are above the mark (reads at most ``n`` ids of the primary key)."""
    above = select(Item.id).where(Item.id > indexed_up_to(db)).order_by(Item.id).offset(n - 1).limit(1)
    return db.scalar(above) is not None


def catch_up(db: Session, *, commit: Callable[[int], None], chunk: int = CATCH_UP_CHUNK) -> int:
    """SQLite: index the items above the mark, ``chunk`` at a time, each chunk and its new mark written
    together and committed by ``commit(indexed so far)``; the number indexed (0 on PostgreSQL). It goes on
    until no item is above the mark, so items written meanwhile are indexed too."""
    if is_postgresql(db):
        return 0
    done = 0
    while True:
        mark = indexed_up_to(db)
        ids = list(db.scalars(select(Item.id).where(Item.id > mark).order_by(Item.id).limit(chunk)))
        if not ids:
            return done
        bounds = {"mark": mark, "new": ids[-1]}
        db.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, search_text) SELECT id, search_text FROM items"
                " WHERE id > :mark AND id <= :new ORDER BY id"
            ),
            bounds,
        )
        db.execute(text(f"UPDATE {STATE_TABLE} SET indexed_up_to = :new"), bounds)
        done += len(ids)
        commit(done)
