from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime
from quorum.models.base import Base, CreatedAt


class SyntheticBatch(CreatedAt, Base):
    """One run of synthetic-prompt generation for a target project: ``generating`` -> ``in_review`` (its
    survivors are items of the review project) -> ``released`` (into the target) or ``held``."""

    __tablename__ = "synthetic_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=False
    )
    review_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Everything the job needs to run again identically: count, depth, k, seed, model params, seeds...
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    template_version: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="generating", nullable=False)
    bar: Mapped[float] = mapped_column(Float, nullable=False)
    min_reviewed: Mapped[int] = mapped_column(Integer, nullable=False)
    # What generation and dedup found (counts, whether the semantic stage ran), and the last release decision.
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
