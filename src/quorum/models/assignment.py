from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime
from quorum.models.base import Base, CreatedAt


class Assignment(CreatedAt, Base):
    """A lease of one item to one annotator. ``leased`` past ``expires_at`` counts as expired."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_item_status", "item_id", "status"),
        Index("ix_assignments_user_project_status", "user_id", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="leased", nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    skip_reason: Mapped[str | None] = mapped_column(Text)
    # Drawn at claim: the task type turns it into the order this assignment shows the candidates in. None
    # on leases taken before the column existed: shown as stored.
    order_seed: Mapped[int | None] = mapped_column(Integer)
    # The assistance arms drawn at claim (``core/assistance.py``), e.g. {"suggestion": "shown", "probe":
    # false}; None where the project offered no assistance then.
    assistance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
