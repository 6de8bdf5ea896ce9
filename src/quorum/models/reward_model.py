from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime, utcnow
from quorum.models.base import Base


class RewardModel(Base):
    """One trained version of a project's reward model (``reward/training.py``): what it was trained on
    (the judgment and item ids), how well it does on held-out consensus labels, and the ensemble itself,
    so every priority it set can be traced back to it."""

    __tablename__ = "reward_models"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    n_labels: Mapped[int] = mapped_column(Integer, nullable=False)
    # Completed items when it was trained: the retrain interval counts completions from here.
    n_items: Mapped[int] = mapped_column(Integer, nullable=False)
    item_ids: Mapped[list[int]] = mapped_column(JSONType, nullable=False)
    judgment_ids: Mapped[list[int]] = mapped_column(JSONType, nullable=False)
    last_judgment_id: Mapped[int] = mapped_column(Integer, nullable=False)
    accuracy: Mapped[float | None] = mapped_column(Float)
    accuracy_low: Mapped[float | None] = mapped_column(Float)
    accuracy_high: Mapped[float | None] = mapped_column(Float)
    # The held-out report: calibration, accuracy by strength, accuracy by arm (active / control).
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    ensemble: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    embedding_model: Mapped[str] = mapped_column(String(200), nullable=False)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
