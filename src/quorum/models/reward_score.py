from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import UTCDateTime, utcnow
from quorum.models.base import Base


class RewardScore(Base):
    """The latest reward-model score of an item's pair (``rm_score``): the predicted probability that the
    first candidate is preferred, the ensemble's disagreement and the margin; exports carry it."""

    __tablename__ = "reward_scores"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    reward_model_id: Mapped[int] = mapped_column(
        ForeignKey("reward_models.id", ondelete="CASCADE"), nullable=False
    )
    score: Mapped[float] = mapped_column(Float, nullable=False)
    disagreement: Mapped[float] = mapped_column(Float, nullable=False)
    margin: Mapped[float] = mapped_column(Float, nullable=False)
    # The heads' variance and the mean head's reward of the first candidate (a steps item's solution):
    # a selection made after a rerun skipped this item's batch reads them here. None before 0027.
    variance: Mapped[float | None] = mapped_column(Float)
    reward: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
