from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime
from quorum.models.base import Base, CreatedAt


class JudgmentVersion(CreatedAt, Base):
    """An earlier answer of a judgment its annotator edited later. The ``judgments`` row always holds the
    latest answer (so counts, consensus and exports see one judgment per person and item); version 1 is
    the answer as first submitted, ``created_at`` when it was replaced."""

    __tablename__ = "judgment_versions"
    __table_args__ = (UniqueConstraint("judgment_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    judgment_id: Mapped[int] = mapped_column(
        ForeignKey("judgments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    time_spent_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    guideline_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # When the replaced answer had been given (the judgment's created_at for version 1).
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
