from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.models.base import Base, CreatedAt


class ItemComment(CreatedAt, Base):
    """One message of an item's comment thread (managers and reviewers; annotators where the project
    allows). The body is markdown, rendered sanitised."""

    __tablename__ = "item_comments"
    __table_args__ = (Index("ix_item_comments_item_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
