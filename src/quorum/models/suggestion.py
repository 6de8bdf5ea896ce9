from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Suggestion(CreatedAt, Base):
    """A proposed answer for an item (a pre-label), from a registered model or the project's learned
    classifier. Every attempt is a row: an invalid model output is kept with its error and status
    ``invalid`` and is never shown. The item's current suggestion is its latest ``valid`` row."""

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_item_id_status_id", "item_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=False
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    # "model" (a registered chat model) or "learned" (the project's classifier over item embeddings).
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # The registered model's name, or "learned"; what exports and managers see, never annotators.
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    template_version: Mapped[str] = mapped_column(String(40), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    # No foreign key to jobs, as in model_calls: provenance outlives the job system's rows.
    job_id: Mapped[int | None] = mapped_column(Integer)
    # "valid" or "invalid"; the answer is canonical (candidate identities) and None when invalid.
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    score: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
