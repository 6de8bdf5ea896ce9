from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quorum.core.input_checks import Id

DISPLAY_ORDER = (
    "The candidate index shown at each position: payload.candidates[p] is candidate display_order[p] as "
    "imported. Answers are given in these positions and stored against candidate indexes. Null: shown as "
    "stored."
)


class TaskItem(BaseModel):
    id: int
    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    display_order: list[int] | None = Field(default=None, description=DISPLAY_ORDER)


class SuggestionOut(BaseModel):
    answer: dict[str, Any] = Field(description="A proposed answer, in this assignment's screen positions.")


class CritiqueComment(BaseModel):
    """A critic's comment as an annotator sees it: ``candidate`` is the screen position of the response
    it quotes (0 where there is one response); never the model's name."""

    index: int
    candidate: int
    quote: str
    start: int
    end: int
    severity: str
    comment: str


class AssignmentOut(BaseModel):
    id: int
    expires_at: datetime
    item: TaskItem
    suggestion: SuggestionOut | None = Field(
        default=None,
        description="Only in projects that offer suggestions: the model's proposed answer, or null when "
        "this assignment is served blind or the item has none.",
    )
    critique: list[CritiqueComment] | None = Field(
        default=None,
        description="Only in projects that offer critiques: the critic's comments when this assignment shows "
        "them, else null.",
    )


class NextTask(BaseModel):
    assignment: AssignmentOut


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any]
    time_spent_ms: Id
    critique_fates: list[dict[str, Any]] | None = Field(
        default=None,
        description="Each shown critic comment's fate: {index, fate: kept|edited|deleted, comment?}.",
        max_length=500,
    )


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
    display_order: list[int] | None = Field(default=None, description=DISPLAY_ORDER)
    created_at: datetime


class SubmitOut(BaseModel):
    judgment: JudgmentCreated


class SkipOut(BaseModel):
    assignment_id: int
    status: str


class ItemPriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: float = Field(description="Higher is handed out first; ties go to the oldest item.")


class ItemQueueOut(BaseModel):
    id: int
    external_id: str
    priority: float
    status: str
    judgment_count: int


class GoldRecordOut(BaseModel):
    username: str
    gold_judged: int
    gold_accuracy: float | None
    gated: bool = Field(description="The quality gate stops this annotator from receiving work here.")


class PinsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usernames: list[str] = Field(description="Who may get the item; an empty list unpins it.")


class PinsOut(BaseModel):
    item_id: int
    usernames: list[str]
