from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class ModelEndpoint(CreatedAt, Base):
    """A model an admin registered. The API key is never here in clear: either the NAME of the environment
    variable that holds it (read at call time) or the key encrypted (``providers.stored_keys``)."""

    __tablename__ = "model_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    provider: Mapped[str] = mapped_column(String(50), nullable=False)
    base_url: Mapped[str] = mapped_column(Text, nullable=False)
    remote_model: Mapped[str] = mapped_column(String(200), nullable=False)
    api_key_env: Mapped[str | None] = mapped_column(String(200))
    api_key_sealed: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    concurrency: Mapped[int | None] = mapped_column(Integer)
    rpm: Mapped[int | None] = mapped_column(Integer)
    price_in_per_1k: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    price_out_per_1k: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
