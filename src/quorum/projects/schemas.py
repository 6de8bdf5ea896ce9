from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    task_type: str
    config: dict[str, Any] = Field(default_factory=dict)
    overlap: int = 1
    lease_seconds: int = 900
    guidelines: str = ""
    status: str = "active"


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    config: dict[str, Any] | None = None
    overlap: int | None = None
    lease_seconds: int | None = None
    status: str | None = None


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    task_type: str
    config: dict[str, Any]
    status: str
    overlap: int
    lease_seconds: int
    guideline_version: int
    created_at: datetime
    role: str | None = None


class GuidelinesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=200_000)


class GuidelinesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    body: str
    created_at: datetime


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str


class MemberOut(BaseModel):
    user_id: int
    username: str
    role: str
