from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Item(CreatedAt, Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("project_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict, nullable=False)
    gold: Mapped[Any | None] = mapped_column(JSONType)
    priority: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="open", nullable=False)
    judgment_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Set by adaptive overlap when the item needs more judgments than the project's overlap.
    overlap_target: Mapped[int | None] = mapped_column(Integer)
    # The items list's search: the payload's text, casefolded (``core/search_text.py``), written with the
    # payload; none until written (the list fills it in for older rows).
    search_text: Mapped[str | None] = mapped_column(Text)
    # The items list's confidence (sort, filter): the task type's consensus confidence over the item's
    # judgments, cached with the judgment count it was computed at (``items/confidence.py``).
    confidence: Mapped[float | None] = mapped_column(Float)
    confidence_n: Mapped[int | None] = mapped_column(Integer)
    # PostgreSQL: the item waits for the search index job (``db/text_index.py``); a new row's default is
    # true there (migration 0029), false on SQLite, whose FTS index goes by a high-water mark instead.
    search_pending: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), nullable=False)
    # A manager sent the item to review: every judgment of it waits for a reviewer, sampled or not.
    review_requested: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False
    )


# A JSON null is how "no gold" is stored; this predicate reads the same on SQLite (text) and PostgreSQL
# (jsonb, where 'null' casts to the JSON null).
GOLD_SQL = "gold IS NOT NULL AND gold <> 'null'"

# The predicates of the items list's partial indexes, written once: SQLite uses a partial index only for
# a query whose WHERE holds its predicate as the same expression (``items.review_requested = 1``, what
# SQLAlchemy renders for ``is_(True)``, does not match ``review_requested``), so queries say them through
# ``item_sql`` too. Not-gold items are most of a project: the list's gold=no count reads the index only.
NOT_GOLD_SQL = f"NOT ({GOLD_SQL})"
REVIEW_REQUESTED_SQL = "review_requested"
UNSEARCHABLE_SQL = "search_text IS NULL"
SEARCH_PENDING_SQL = "search_pending"
# Judged items whose cached confidence is older than their judgments (``items/confidence.py``).
CONFIDENCE_STALE_SQL = "judgment_count > 0 AND (confidence_n IS NULL OR confidence_n <> judgment_count)"
# The list's confidence sort value: unjudged items (no confidence) sort as the least sure. A literal, not
# a bound parameter, so that the query's expression is the index's.
CONFIDENCE_SORT = func.coalesce(Item.confidence, literal_column("-1.0"))


def item_sql(predicate: str) -> Any:
    """One of the predicates above as a query condition on ``items`` (its columns qualified, so it reads
    the same in a query that joins another table)."""
    return text(_COLUMN.sub(r"items.\1", predicate))


_COLUMN = re.compile(r"\b(gold|review_requested|search_text|judgment_count|confidence_n)\b")

# The queue scan walks open items only, in claim order (priority first, then oldest), so it costs the
# same however many items are already complete. Declared on the mapped columns so that the sort order
# is part of the index and its columns still compare equal to SQLite's reflection (which drops DESC).
Index(
    "ix_items_queue",
    Item.project_id,
    Item.priority.desc(),
    Item.id,
    postgresql_where=text("status = 'open'"),
    sqlite_where=text("status = 'open'"),
)

# Keyset pages of one project's items by id (exports, the items API): a range scan whatever the planner's
# statistics say. Without it, right after a bulk import PostgreSQL sorted every remaining row per page.
Index("ix_items_project_id_id", Item.project_id, Item.id)

# Gold turns look among a project's open gold items only (few, however large the project).
Index(
    "ix_items_gold",
    Item.project_id,
    Item.id,
    postgresql_where=text(f"status = 'open' AND {GOLD_SQL}"),
    sqlite_where=text(f"status = 'open' AND {GOLD_SQL}"),
)

# The items list sorts a project's items by priority or by judgment count, a keyset page at a time.
Index("ix_items_project_priority", Item.project_id, Item.priority, Item.id)
Index("ix_items_project_judgments", Item.project_id, Item.judgment_count, Item.id)
# The review queue asks whether a project has items sent to review: few, however large the project.
Index(
    "ix_items_review_requested",
    Item.project_id,
    Item.id,
    postgresql_where=text("review_requested"),
    sqlite_where=text("review_requested"),
)
# The items list's gold=no filter and count, and the search's "rows without search text yet" check.
Index(
    "ix_items_not_gold",
    Item.project_id,
    Item.id,
    postgresql_where=text(NOT_GOLD_SQL),
    sqlite_where=text(NOT_GOLD_SQL),
)
Index(
    "ix_items_unsearchable",
    Item.project_id,
    Item.id,
    postgresql_where=text(UNSEARCHABLE_SQL),
    sqlite_where=text(UNSEARCHABLE_SQL),
)
# PostgreSQL: the items the search index job has still to index (``db/text_index.py``).
Index(
    "ix_items_search_pending",
    Item.project_id,
    Item.id,
    postgresql_where=text(SEARCH_PENDING_SQL),
    sqlite_where=text(SEARCH_PENDING_SQL),
)
# Counts by status from the index alone: the items list's status filter, and what waits for a person on the
# project list (open items they have not judged: a walk of the index, never of the rows).
Index("ix_items_project_status", Item.project_id, Item.status, Item.id)
# The confidence sort, a keyset page at a time, and the refresh that finds the stale confidences.
Index("ix_items_project_confidence", Item.project_id, CONFIDENCE_SORT, Item.id)
Index(
    "ix_items_confidence_stale",
    Item.project_id,
    Item.id,
    postgresql_where=text(CONFIDENCE_STALE_SQL),
    sqlite_where=text(CONFIDENCE_STALE_SQL),
)
