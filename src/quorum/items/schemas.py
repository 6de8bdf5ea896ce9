from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ItemOut(BaseModel):
    id: int
    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    gold: Any = None
    priority: float
    status: str
    judgment_count: int
    created_at: datetime


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_cursor: int | None


class JudgmentOut(BaseModel):
    id: int
    item_id: int
    assignment_id: int
    annotator: str
    answer: dict[str, Any]
    time_spent_ms: int
    guideline_version: int
    created_at: datetime
    display_order: list[int] | None = Field(
        default=None,
        description="The candidate index the annotator saw at each position (the answer names candidates "
        "as imported); null: shown as stored.",
    )


class JudgmentPage(BaseModel):
    judgments: list[JudgmentOut]
    next_cursor: int | None


class ItemDetail(ItemOut):
    judgments: list[JudgmentOut]


class ImportResult(BaseModel):
    total: int
    created: int
    updated: int
    unchanged: int
    generation_job_id: int | None = Field(
        default=None, description="The automatic generation job for items awaiting candidates, if any."
    )
