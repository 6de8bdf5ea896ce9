from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime
from quorum.models.base import Base


class QualityReportCache(Base):
    """A big project's quality report as the ``quality_report`` job computed it, one per set of options;
    ``data_version`` names the judgments and reviews it saw (``quality/cache.py``)."""

    __tablename__ = "quality_reports"
    __table_args__ = (UniqueConstraint("project_id", "options"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    options: Mapped[str] = mapped_column(String(100), nullable=False)
    data_version: Mapped[str] = mapped_column(String(100), nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
