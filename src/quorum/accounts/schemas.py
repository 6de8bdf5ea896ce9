from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    is_admin: bool
    is_active: bool
    expertise: dict[str, int]
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str | None = None
    is_admin: bool = False
    expertise: dict[str, Any] = Field(default_factory=dict)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    is_admin: bool | None = None
    expertise: dict[str, Any] | None = None
    password: str | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)
    expires_in_days: int | None = Field(default=None, description="None: valid until revoked.")


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None


class NewToken(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored.")
    info: TokenOut


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    name: str = Field(default="login", max_length=100)
    expires_in_days: int | None = Field(default=None, description="None: valid until revoked.")
