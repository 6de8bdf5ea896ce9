from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime
from quorum.models.base import Base


class ConsensusFit(Base):
    """A project's stored Dawid-Skene fit (``consensus/online.py``): written by the ``consensus_refit`` job,
    read by every process's submit path. ``version`` grows with each write, so a process cache can tell
    that its copy is old with one small read."""

    __tablename__ = "consensus_fits"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_judgment_id: Mapped[int] = mapped_column(Integer, nullable=False)
    n_judgments: Mapped[int] = mapped_column(Integer, nullable=False)
    # None: too little data for a model (the caller falls back to agreement).
    model: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
