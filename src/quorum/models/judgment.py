from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Judgment(CreatedAt, Base):
    __tablename__ = "judgments"
    __table_args__ = (
        # The database itself refuses a second judgment by one person on one item.
        UniqueConstraint("item_id", "user_id"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_judgments_project_id", "project_id", "id"),
        # The items list's "judged by" filter: one annotator's items in one project, from the index alone.
        Index("ix_judgments_project_user", "project_id", "user_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    time_spent_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    guideline_version: Mapped[int] = mapped_column(Integer, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # Set on gold items only: how well the answer matched the hidden gold answer (0.0 to 1.0).
    gold_score: Mapped[float | None] = mapped_column(Float)
    # The candidate index shown at each screen position (the answer itself is stored against candidate
    # indexes); None: shown as stored, as every judgment made before display orders were recorded.
    display_order: Mapped[list[int] | None] = mapped_column(JSONType)
    # What assistance the annotator was shown (the assignment's arms, and what each arm showed), so a
    # training team can drop assisted labels; None: no assistance was offered.
    assistance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
