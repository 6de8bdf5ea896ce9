from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Judge(CreatedAt, Base):
    """A registered model attached to a project to answer its items like an annotator. Its verdicts live
    in ``judge_verdicts``, never in ``judgments``: no human statistic can count them by mistake."""

    __tablename__ = "judges"
    __table_args__ = (UniqueConstraint("project_id", "model_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[int | None] = mapped_column(ForeignKey("model_endpoints.id", ondelete="SET NULL"))
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    prompt_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # Routing (opt-in): a consistent verdict at least this confident lowers the item's overlap target to
    # ``route_lowered_target``; a first human who disagrees with the verdict asks for one more human.
    routing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    route_min_confidence: Mapped[float] = mapped_column(
        Float, default=0.8, server_default="0.8", nullable=False
    )
    route_lowered_target: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
