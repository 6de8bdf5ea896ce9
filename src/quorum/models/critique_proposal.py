from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class CritiqueProposal(CreatedAt, Base):
    """One critic model's comments on one candidate response of an item (``position``: the candidate's
    index as stored; 0 for types with a single response). ``comments`` holds only the valid ones, each
    ``{quote, start, end, severity, comment}`` with ``response[start:end] == quote``; what the model wrote
    that failed validation is kept in ``dropped`` (and ``error`` when the whole reply was unusable), never
    shown to anyone but managers."""

    __tablename__ = "critique_proposals"
    __table_args__ = (Index("ix_critique_proposals_item_id_position", "item_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=False
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # No foreign key to jobs or model_calls, as in generations: provenance outlives those rows.
    job_id: Mapped[int | None] = mapped_column(Integer)
    model_call_id: Mapped[int | None] = mapped_column(Integer)
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    remote_model: Mapped[str] = mapped_column(String(200), nullable=False)
    template_version: Mapped[str] = mapped_column(String(40), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    dropped: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
