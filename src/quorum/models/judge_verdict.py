from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class JudgeVerdict(CreatedAt, Base):
    """One judge's answer to one item, in candidate identities (``answer``; None when the reply was
    invalid, with ``error`` saying why). Pairwise items are judged in each candidate order: ``answers``
    holds ``{"order", "answer"}`` per order and ``consistent`` whether they agree (None: one order only)."""

    __tablename__ = "judge_verdicts"
    __table_args__ = (UniqueConstraint("judge_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("judges.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True, nullable=False
    )
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    consistent: Mapped[bool | None] = mapped_column(Boolean)
    confidence: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(String(500))
    # No foreign key to jobs, as in model_calls: provenance outlives the job system's rows.
    job_id: Mapped[int | None] = mapped_column(Integer)
