from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType, UTCDateTime, utcnow
from quorum.models.base import Base, CreatedAt

PENDING_SQL = "dedupe_key IS NOT NULL AND status IN ('todo', 'doing')"


class Job(CreatedAt, Base):
    """Background work the UI follows: this row is the truth; the queue carries only its id."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_project_status", "project_id", "status"),
        # At most one pending job per key (e.g. one refit per project), even when two requests race.
        Index(
            "uq_jobs_pending_key",
            "dedupe_key",
            unique=True,
            postgresql_where=text(PENDING_SQL),
            sqlite_where=text(PENDING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), default="todo", nullable=False)
    progress_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every progress report: a ``doing`` job whose heartbeat is stale lost its worker.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Jobs that must not pile up (``jobs.service.submit_once``) carry a key: one pending job per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
