from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import UTCDateTime, utcnow
from quorum.models.base import Base


class ActiveSetting(Base):
    """A project's active-learning settings (``reward/settings.py``); no row: active learning is off and
    nothing retrains by itself."""

    __tablename__ = "active_settings"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(32), nullable=False)
    batch_size: Mapped[int] = mapped_column(Integer, nullable=False)
    control_share: Mapped[float] = mapped_column(Float, nullable=False)
    # Retrain after this many new consensus labels; None: only on demand.
    retrain_every: Mapped[int | None] = mapped_column(Integer)
    # None: the built-in local embedding model.
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
