"""The export's reading: keyset pages of a project's items, each item one JSON object that the database
builds with its candidates and judgments, so a page costs one query and one JSON decode per item.

Reading the columns one by one cost most of an export: five JSON columns decoded per item, a result row,
a record and a dict per judgment and candidate, and three queries per page. Here the database assembles
each item (PostgreSQL ``json_build_object`` and ``json_agg``; SQLite ``json_object`` and
``json_group_array``) in the export's own key order, and ``json_text.loads`` reads it once: the values are
the ones the columns decode to (PostgreSQL embeds each ``jsonb`` value as its text; SQLite's ``json()``
keeps the stored text's numbers and strings), so the rows written from them are byte for byte the same.
``created_at`` is formatted as ``datetime.isoformat`` writes an aware UTC time (no fraction when the
microseconds are 0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from quorum.core.json_text import loads
from quorum.db.dialect import is_postgresql

BATCH = 1000


class Stored(NamedTuple):
    """One item of a page as the database sent it: ``gold`` and ``data`` still JSON text, decoded by
    ``decode`` one item at a time. ``assisted``: some judgment of the item has an assistance (or may have:
    a JSON ``null`` counts), which the page's suggestion lookup needs decoded before the rows are made."""

    item_id: int
    gold: str | None
    data: str
    assisted: bool


class Row(NamedTuple):
    """``data``: ``external_id``, ``payload``, ``metadata``, ``candidates`` and ``judgments``, the generic
    export row's keys in its order; each judgment also starts with its ``id`` (for reviews' rejections),
    which the export takes out, and carries ``suggestion`` as null, which the export fills in."""

    item_id: int
    gold: Any
    data: dict[str, Any]


_PG_CREATED = (
    """to_char(j.created_at, 'YYYY-MM-DD"T"HH24:MI:SS')"""
    " || CASE WHEN date_trunc('second', j.created_at) = j.created_at THEN '' ELSE to_char(j.created_at, '.US') END"
    " || '+00:00'"
)
_PG = f"""
SELECT i.id,
       CASE WHEN i.gold IS NULL OR i.gold = 'null'::jsonb THEN NULL ELSE i.gold::text END,
       json_build_object(
         'external_id', i.external_id, 'payload', i.payload, 'metadata', i.metadata,
         'candidates', COALESCE((
           SELECT json_agg(json_build_object(
                    'position', c->'position', 'model', c->'model', 'provider', c->'provider', 'params', c->'params'
                  ) ORDER BY n)
           FROM jsonb_array_elements(i.candidate_provenance) WITH ORDINALITY AS e(c, n)), '[]'),
         'judgments', COALESCE((
           SELECT json_agg(json_build_object(
                    'id', j.id, 'annotator', u.username, 'answer', j.answer,
                    'time_spent_ms', j.time_spent_ms, 'guideline_version', j.guideline_version,
                    'created_at', {_PG_CREATED}, 'display_order', j.display_order,
                    'suggestion', NULL::text, 'assistance', j.assistance
                  ) ORDER BY j.id)
           FROM judgments j JOIN users u ON u.id = j.user_id WHERE j.item_id = i.id), '[]')
       )::text
FROM items i
WHERE i.project_id = :project AND i.id > :after {{judged}}
ORDER BY i.id LIMIT :limit
"""

# SQLAlchemy stores a SQLite datetime as 'YYYY-MM-DD HH:MM:SS.ffffff'.
_SQLITE_CREATED = (
    "substr(j.created_at, 1, 10) || 'T' || CASE WHEN substr(j.created_at, 20) IN ('', '.000000')"
    " THEN substr(j.created_at, 12, 8) ELSE substr(j.created_at, 12) END || '+00:00'"
)
# SQLite 3.40 has no ORDER BY inside an aggregate: each array aggregates an ordered subquery, which SQLite
# does not flatten into an aggregate, so it is read in order. A value that leaves a subquery loses its
# JSON subtype: json() gives it back, else json_object would embed the array as a string.
_SQLITE = f"""
SELECT i.id,
       CASE WHEN i.gold IS NULL OR i.gold = 'null' THEN NULL ELSE i.gold END,
       json_object(
         'external_id', i.external_id, 'payload', json(i.payload), 'metadata', json(i.metadata),
         'candidates', json(i.candidate_provenance),
         'judgments', json((
           SELECT json_group_array(json(o)) FROM (
             SELECT json_object(
                      'id', j.id, 'annotator', u.username, 'answer', json(j.answer),
                      'time_spent_ms', j.time_spent_ms, 'guideline_version', j.guideline_version,
                      'created_at', {_SQLITE_CREATED}, 'display_order', json(j.display_order),
                      'suggestion', NULL, 'assistance', json(j.assistance)
                    ) AS o
             FROM judgments j JOIN users u ON u.id = j.user_id WHERE j.item_id = i.id ORDER BY j.id)))
       )
FROM items i
WHERE i.project_id = :project AND i.id > :after {{judged}}
ORDER BY i.id LIMIT :limit
"""


# Per page, not per item: a correlated EXISTS in the page's query cost PostgreSQL about 10 µs per item; this
# is one range scan of the judgments index. Items of other projects in the range only add ids no row asks for.
_ASSISTED = text(
    "SELECT DISTINCT item_id FROM judgments WHERE item_id BETWEEN :first AND :last AND assistance IS NOT NULL"
)


def decode(stored: Stored) -> Row:
    return Row(stored.item_id, None if stored.gold is None else loads(stored.gold), loads(stored.data))


def pages(db: Session, project_id: int, *, only_judged: bool) -> Iterator[list[Stored]]:
    """The project's items by id, ``BATCH`` at a time; ``only_judged``: those with a judgment."""
    postgresql = is_postgresql(db)
    if postgresql:
        # The correlated aggregates look costly to the planner (a few rows per item, thousands of items), so
        # PostgreSQL compiled each page with JIT: 0.2 s per page, more than running it.
        db.execute(text("SET LOCAL jit = off"))
    sql = _PG if postgresql else _SQLITE
    statement = text(sql.format(judged="AND i.judgment_count > 0" if only_judged else ""))
    after = 0
    while True:
        found = db.execute(statement, {"project": project_id, "after": after, "limit": BATCH}).all()
        if not found:
            return
        after = found[-1][0]
        # Decoded one item at a time by the caller, not the whole page here: a page of decoded rows is about
        # 26,000 live containers, whose allocations set off the garbage collector's passes (each moving the
        # survivors up a generation, then full passes): about a third of the export's CPU on SQLite. Decoded,
        # written and freed one by one, the rows never add up to a collection.
        assisted = set(db.scalars(_ASSISTED, {"first": found[0][0], "last": after}))
        yield [Stored(i, gold, data, i in assisted) for i, gold, data in found]
