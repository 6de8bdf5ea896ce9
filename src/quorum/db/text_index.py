"""The items list's search index over each item's search text (``core/search_text.py``): a trigram index
on both databases, so that a substring search reads the matching rows only. Migration 0028 builds it.

- SQLite: the FTS5 table ``items_search`` (trigram tokenizer, case-sensitive: the text and the query are
  casefolded in Python already) over ``items.search_text``, kept by triggers on ``items``, so every
  writer (the bulk insert included) keeps it without knowing of it. A query is one FTS5 phrase: its
  characters in sequence, which is exactly a substring match.
- PostgreSQL: a ``pg_trgm`` GIN index on ``items.search_text`` that serves the plain ``LIKE``.

A trigram index cannot serve a query shorter than three characters; those read every row with ``LIKE``,
which finds the same items. Either way a match is: the casefolded query is a substring of the casefolded
text, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column, select, text
from sqlalchemy.orm import Session

from quorum.core.search_text import ESCAPE, like_pattern
from quorum.db.dialect import is_postgresql
from quorum.models import Item

FTS_TABLE = "items_search"
PG_INDEX = "ix_items_search_trgm"
# What the models do not declare (a virtual table and its shadow tables, an index with an operator class
# from an extension): the models-versus-migrations check leaves them out.
OUTSIDE_MODELS = frozenset(
    {FTS_TABLE, *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")), PG_INDEX}
)
SHORTEST_INDEXED = 3


# Up to how many matches a page looks each of them up rather than walking its sort's index (below).
LOOKUP_UP_TO = 2000


def contains(db: Session, query: str, *, walk: bool = False) -> Any:
    """The condition on ``items``: its search text contains ``query``, casefolded.

    On SQLite the matches are read from the index either way, then each is looked up among the items
    (what a count needs). ``walk`` instead leaves ``items.id`` out of the index choice (``+items.id``): a
    page of many matches walks its sort's index and stops after a page of them, rather than looking up
    and sorting every match; a page of few matches (``LOOKUP_UP_TO``) is cheaper looked up."""
    folded = query.strip().casefold()
    if is_postgresql(db) or len(folded) < SHORTEST_INDEXED:
        return Item.search_text.like(like_pattern(query), escape=ESCAPE)
    phrase = '"' + folded.replace('"', '""') + '"'
    matching: Any = (
        select(literal_column("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase))
    )
    return (literal_column("+items.id") if walk else Item.id).in_(matching)
