from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TaskItem(BaseModel):
    id: int
    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]


class AssignmentOut(BaseModel):
    id: int
    expires_at: datetime
    item: TaskItem


class NextTask(BaseModel):
    assignment: AssignmentOut


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any]
    time_spent_ms: int = Field(ge=0)


class SkipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)


class JudgmentCreated(BaseModel):
    id: int
    assignment_id: int
    item_id: int
    answer: dict[str, Any]
    time_spent_ms: int
    guideline_version: int
    created_at: datetime


class SubmitOut(BaseModel):
    judgment: JudgmentCreated


class SkipOut(BaseModel):
    assignment_id: int
    status: str
