from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime, utcnow
from quorum.models.base import Base


class Draft(Base):
    """The answer in progress on one assignment, as the workspace's form holds it (``state`` is the page's
    own snapshot, never validated as an answer), and the visible, active time spent on it so far."""

    __tablename__ = "drafts"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    active_ms: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
