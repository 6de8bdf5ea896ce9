from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Candidate(CreatedAt, Base):
    """Provenance of one model output inside an item's payload (the payload keeps the text)."""

    __tablename__ = "candidates"

    # Keyed by its place in the item (migration 0030): every reader goes by item, none by a row id, so a
    # surrogate id cost the bulk import a sequence value and a second unique index per row for nothing.
    # No index on ``model`` either: the models' ranking reads a project's candidates through their items.
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
