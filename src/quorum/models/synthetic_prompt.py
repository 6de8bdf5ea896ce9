from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class SyntheticPrompt(CreatedAt, Base):
    """One prompt a generator proposed (or one model answer that held none: ``reason`` says why). Keyed by
    the unit of work that made it and its position in that unit's answer, so a rerun writes nothing twice."""

    __tablename__ = "synthetic_prompts"
    __table_args__ = (
        UniqueConstraint("batch_id", "unit_key", "position"),
        Index("ix_synthetic_prompts_batch_id_status", "batch_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("synthetic_batches.id", ondelete="CASCADE"), nullable=False
    )
    unit_key: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    stratum: Mapped[str] = mapped_column(String(100), nullable=False)
    depth: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Provenance: seed prompt ids, the evolution operation, the parent prompt of an evolved one.
    origin: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    # candidate (generated, not yet deduplicated) | rejected | survivor (sent to review) | released
    status: Mapped[str] = mapped_column(String(16), default="candidate", nullable=False)
    reason: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    # The nearest match of each dedup stage and its score.
    dedup: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    review_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    released_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
