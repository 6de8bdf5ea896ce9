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
    max_leases: int = 1
    required_expertise: dict[str, int] = Field(default_factory=dict)
    gold_rate: float = 0.0
    min_gold_accuracy: float | None = None
    min_gold_judged: int = 5
    overlap_max: int | None = None
    overlap_rule: str = "agreement"
    confidence_target: float = 1.0
    review_rate: float = 0.0
    review_confidence: float | None = None
    qualification_size: int | None = None
    qualification_threshold: float = 0.8
    flag_threshold: int | None = None


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    config: dict[str, Any] | None = None
    overlap: int | None = None
    lease_seconds: int | None = None
    status: str | None = None
    max_leases: int | None = None
    required_expertise: dict[str, int] | None = None
    gold_rate: float | None = None
    min_gold_accuracy: float | None = None
    min_gold_judged: int | None = None
    overlap_max: int | None = None
    overlap_rule: str | None = None
    confidence_target: float | None = None
    review_rate: float | None = None
    review_confidence: float | None = None
    qualification_size: int | None = None
    qualification_threshold: float | None = None
    flag_threshold: int | None = None


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    task_type: str
    config: dict[str, Any]
    status: str
    overlap: int
    lease_seconds: int
    max_leases: int
    required_expertise: dict[str, int]
    gold_rate: float
    min_gold_accuracy: float | None
    min_gold_judged: int
    overlap_max: int | None
    overlap_rule: str
    confidence_target: float
    review_rate: float
    review_confidence: float | None
    qualification_size: int | None
    qualification_threshold: float
    flag_threshold: int | None
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


class QualificationOut(BaseModel):
    username: str
    attempt: int
    status: str
    """``pending`` (taking it), ``passed`` or ``failed``."""
    judged: int
    score: float | None
    started_at: datetime | None
    decided_at: datetime | None
