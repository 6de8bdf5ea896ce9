from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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
    # A manager sent the item to review: every judgment of it waits for a reviewer, sampled or not.
    review_requested: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False
    )


# A JSON null is how "no gold" is stored; this predicate reads the same on SQLite (text) and PostgreSQL
# (jsonb, where 'null' casts to the JSON null).
GOLD_SQL = "gold IS NOT NULL AND gold <> 'null'"

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
