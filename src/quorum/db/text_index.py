"""The items list's search index over each item's search text (``core/search_text.py``): a trigram index
on both databases, so that a substring search reads the matching rows only. Migration 0028 builds it.

- SQLite: the FTS5 table ``items_search`` (trigram tokenizer, case-sensitive: the text and the query are
  casefolded in Python already) over ``items.search_text``. It holds the items up to a high-water mark
  (``items_search_state.indexed_up_to``), kept by triggers on updates and deletes of those; newer items
  (a bulk import's) cost the writer nothing and are searched with ``LIKE`` until ``catch_up`` (the
  ``items_search_index`` job after an import) indexes them in chunks and moves the mark. A query is one
  FTS5 phrase: its characters in sequence, which is exactly a substring match.
- PostgreSQL: a ``pg_trgm`` GIN index on ``items.search_text`` that serves the plain ``LIKE``, over the
  items not ``search_pending`` (migration 0029). A new item is pending (the column's default there), so a
  bulk import writes no trigram (about 10 s per 100,000 items of 1 KB, inside its transaction); the same
  job clears the flag in chunks, and PostgreSQL adds each cleared row to the index itself, so the index
  can never disagree with the rows. Pending items are searched with ``LIKE`` through their own partial
  index until then. A flag rather than a mark: PostgreSQL's ids commit out of order (a mark could pass an
  id whose import commits later), SQLite's never do (one writer at a time).

A trigram index cannot serve a query shorter than three characters; those read every row with ``LIKE``,
which finds the same items. Either way a match is: the casefolded query is a substring of the casefolded
text, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from quorum.core.search_text import ESCAPE, like_pattern
from quorum.db import bulk
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
PENDING_INDEX = "ix_items_search_pending"
# Items indexed per transaction by ``catch_up``: each holds SQLite's write lock for well under a second.
CATCH_UP_CHUNK = 5000
# PostgreSQL: rows cleared per transaction (each rewritten with its index entries: about 0.2 s), their row
# locks taken with SKIP LOCKED so that an annotator's submit never waits behind the job, nor it behind one.
PG_CATCH_UP_CHUNK = 1000
# Rows cleared from which the job refreshes the planner's statistics of the flag (as an import does).
ANALYZE_AFTER = 10_000


# Up to how many matches a page looks each of them up rather than walking its sort's index (below).
LOOKUP_UP_TO = 2000


def contains(db: Session, query: str, *, project_id: int, walk: bool = False) -> Any:
    """The condition on ``items`` (of project ``project_id``): its search text contains ``query``,
    casefolded.

    On PostgreSQL the matches are the indexed items the GIN index finds, or the pending ones (of this
    project) that match by ``LIKE``.

    On SQLite the matches are read from the index (with, above its mark, the newer items whose text is
    ``LIKE`` the query) either way, then each is looked up among the items
    (what a count needs). ``walk`` instead leaves ``items.id`` out of the index choice (``+items.id``): a
    page of many matches walks its sort's index and stops after a page of them, rather than looking up
    and sorting every match; a page of few matches (``LOOKUP_UP_TO``) is cheaper looked up."""
    pattern = Item.search_text.like(like_pattern(query), escape=ESCAPE)
    folded = query.strip().casefold()
    if len(folded) < SHORTEST_INDEXED:
        return pattern
    if is_postgresql(db):
        # The pending arm's text is coalesced so that it does not read as the indexed arm's LIKE:
        # PostgreSQL factors a clause common to both arms of an OR out of it, and the indexed arm alone
        # then no longer implies the GIN index's predicate. As two arms, a BitmapOr of the two partial
        # indexes serves the OR (or, for a page of many matches, a walk of the sort's index stops early).
        pending = Item.search_pending
        pending_text = func.coalesce(Item.search_text, "").like(like_pattern(query), escape=ESCAPE)
        return or_(and_(~pending, pattern), and_(pending, Item.project_id == project_id, pending_text))
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
    """Whether ``n`` or more items wait for the index: above the mark on SQLite (reads at most ``n`` ids of
    the primary key), pending on PostgreSQL (at most ``n`` entries of their partial index)."""
    if is_postgresql(db):
        waiting = select(Item.id).where(Item.search_pending)
    else:
        waiting = select(Item.id).where(Item.id > indexed_up_to(db)).order_by(Item.id)
    return db.scalar(waiting.offset(n - 1).limit(1)) is not None


def catch_up(db: Session, *, commit: Callable[[int], None], chunk: int | None = None) -> int:
    """Index the items that wait, ``chunk`` at a time, each chunk committed by ``commit(indexed so far)``;
    the number indexed. SQLite: the items above the mark, each chunk written with its new mark. PostgreSQL:
    the pending items, their flag cleared; a row another transaction holds is left for a later run. It
    goes on until nothing waits, so items written meanwhile are indexed too."""
    if is_postgresql(db):
        return _clear_pending(db, commit=commit, chunk=chunk or PG_CATCH_UP_CHUNK)
    chunk = chunk or CATCH_UP_CHUNK
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


def _clear_pending(db: Session, *, commit: Callable[[int], None], chunk: int) -> int:
    # In the order of the pending items' own index, from where the last chunk ended: each chunk reads its
    # rows only (a new scan from the start would step over every row cleared before, until a vacuum).
    done, after = 0, (0, 0)
    key = tuple_(Item.project_id, Item.id)
    while True:
        ids = (
            select(Item.project_id, Item.id)
            .where(Item.search_pending, key > tuple_(*after))
            .order_by(Item.project_id, Item.id)
            .limit(chunk)
            .with_for_update(skip_locked=True)
            .cte("chunk")
        )
        cleared = list(
            db.execute(
                update(Item)
                .where(Item.id.in_(select(ids.c.id)))
                .values(search_pending=False)
                .returning(Item.project_id, Item.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not cleared:
            if done >= ANALYZE_AFTER:
                # The planner's share of pending rows is still the import's (all of them): it would read
                # the pending arm's index for every search and skip the GIN one until autovacuum analyzes.
                bulk.analyze(db, Item, "search_pending")
                commit(done)
            return done
        done += len(cleared)
        after = max((p, i) for p, i in cleared)
        commit(done)
