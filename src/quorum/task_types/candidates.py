"""Model outputs inside a payload: the shape they are imported in, and how annotators see them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quorum.task_types.base import CandidateInfo


class CandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1)
    model: str | None = None
    provider: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def blind(payload: dict[str, Any]) -> dict[str, Any]:
    """The conversation and the candidates' text only: annotators judge the text, not the model's name."""
    return {
        "messages": payload["messages"],
        "candidates": [{"content": c["content"]} for c in payload["candidates"]],
    }


def provenance(candidates: list[CandidateIn]) -> list[CandidateInfo]:
    return [
        CandidateInfo(position=i, model=c.model, provider=c.provider, params=c.params)
        for i, c in enumerate(candidates)
    ]
