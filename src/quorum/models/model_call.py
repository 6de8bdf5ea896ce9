from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.models.base import Base, CreatedAt


class ModelCall(CreatedAt, Base):
    """One call to a model, success or error: the ledger cost and debugging are read from. Rows outlive
    the registration (``model_id`` becomes null; ``model_name`` stays)."""

    __tablename__ = "model_calls"
    __table_args__ = (Index("ix_model_calls_model_name_created_at", "model_name", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("model_endpoints.id", ondelete="SET NULL"))
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    purpose: Mapped[str] = mapped_column(String(50), nullable=False)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    first_token_ms: Mapped[float | None] = mapped_column(Float)
    """Streamed calls: the wait for the first token (retries included); null otherwise."""
    cost: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    # No foreign key to jobs: the ledger does not depend on the job system's tables.
    job_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
