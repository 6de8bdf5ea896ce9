from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class User(CreatedAt, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    expertise: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    # Every browser session carries the version it was made under; logout and a password reset bump it,
    # so a copied cookie stops working everywhere (web/session.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
