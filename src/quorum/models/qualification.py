from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import UTCDateTime
from quorum.models.base import Base, CreatedAt


class Qualification(CreatedAt, Base):
    """One annotator's qualification in one project: the current attempt and its outcome.

    ``status`` is ``pending`` until the attempt has the project's ``qualification_size`` scored gold
    judgments, then ``passed`` or ``failed`` (sticky until a manager resets, which starts a new attempt).
    The attempt counts the gold judgments made at or after ``started_at`` (None: since the beginning)."""

    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", nullable=False
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    judged: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    score: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reset_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
