from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quorum.core.input_checks import Id


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: dict[str, Any] = Field(description="the page's snapshot of its form; never read as an answer")
    active_ms: Id = Field(0, description="visible, active time spent on the item so far")


class DraftOut(BaseModel):
    assignment_id: int
    state: dict[str, Any]
    active_ms: int
    updated_at: datetime


class HeartbeatOut(BaseModel):
    assignment_id: int
    expires_at: datetime


class ProgressOut(BaseModel):
    done_today: int
    done_total: int
    queue_left: int = Field(description="items the queue could still give you (not counting your leases)")
    average_ms: int | None = Field(description="your mean time per judgment here; null: none yet")


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any] = Field(description="in the screen positions of the judgment's display_order")
    time_spent_ms: Id = 0


class RecentOut(BaseModel):
    id: int
    item_id: int
    external_id: str
    assignment_id: int
    answer: dict[str, Any] = Field(description="as shown: in the judgment's display_order positions")
    display_order: list[int] | None
    versions: int = Field(description="earlier answers kept; 0: never edited")
    created_at: datetime


class VersionOut(BaseModel):
    version: int
    answer: dict[str, Any]
    time_spent_ms: int
    guideline_version: int
    answered_at: datetime
    replaced_at: datetime


class HistoryOut(BaseModel):
    judgment: RecentOut
    versions: list[VersionOut] = Field(description="earlier answers, oldest first (stored, not as shown)")
