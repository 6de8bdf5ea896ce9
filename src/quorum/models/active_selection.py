from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import UTCDateTime, utcnow
from quorum.models.base import Base


class ActiveSelection(Base):
    """One item a reward-model version prioritised, and why: the strategy, its arm (``active``: chosen by
    the strategy; ``control``: drawn at random from the same pool for a fair comparison), the model's
    score, disagreement and margin, and the priority given (and, once released, the one restored)."""

    __tablename__ = "active_selections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    reward_model_id: Mapped[int] = mapped_column(
        ForeignKey("reward_models.id", ondelete="CASCADE"), nullable=False
    )
    strategy: Mapped[str] = mapped_column(String(32), nullable=False)
    arm: Mapped[str] = mapped_column(String(16), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    disagreement: Mapped[float] = mapped_column(Float, nullable=False)
    margin: Mapped[float] = mapped_column(Float, nullable=False)
    priority: Mapped[float] = mapped_column(Float, nullable=False)
    # The item's priority before this boost, restored when a later selection releases it (``released_at``)
    # while the item is still open and nobody has changed its priority since.
    prior_priority: Mapped[float | None] = mapped_column(Float)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


Index("ix_active_selections_project_id_item_id", ActiveSelection.project_id, ActiveSelection.item_id)
