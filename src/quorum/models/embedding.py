from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import UTCDateTime
from quorum.models.base import Base, CreatedAt


class ItemEmbedding(CreatedAt, Base):
    """One text of an item embedded by one model (``embeddings/``): the key says which text (``part``,
    e.g. ``prompt`` or ``candidate:0``) with which content (``content_hash``, the SHA-256 of the text), so
    an edited item gets a new row and a rerun finds the old one already done. ``vector`` is float32,
    little-endian, ``dim`` wide."""

    __tablename__ = "item_embeddings"
    __table_args__ = (UniqueConstraint("project_id", "model", "part", "item_id", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    part: Mapped[str] = mapped_column(String(40), nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    dim: Mapped[int] = mapped_column(Integer, nullable=False)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class BatchCheckpoint(Base):
    """A batch of a keyed batch run (``embeddings.checkpoints.run_batches``) that is done: a rerun under
    the same key skips it. Written in the unit of work that wrote the batch's results."""

    __tablename__ = "batch_checkpoints"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    batch: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
