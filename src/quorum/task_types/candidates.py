"""Model outputs inside a payload: the shape they are imported in, and how annotators see them (blind to
the model, in an order of their own)."""

from __future__ import annotations

import random
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


def permutation(k: int, seed: int) -> list[int]:
    """The candidate index at each of ``k`` screen positions for ``seed``: a uniform shuffle, the same for
    the same seed on every process and database (``random.Random`` seeded by an int is reproducible)."""
    order = list(range(k))
    random.Random(seed).shuffle(order)
    return order


class ShuffledCandidates:
    """Mixin for task types whose payload holds ``candidates``: each assignment shows them in its own
    random order, so no candidate gains from always being shown first."""

    def display_order(self, payload: dict[str, Any], seed: int | None) -> list[int] | None:
        candidates = payload.get("candidates")
        if seed is None or not isinstance(candidates, list):
            return None
        return permutation(len(candidates), seed)

    def arrange(self, payload: dict[str, Any], order: list[int]) -> dict[str, Any]:
        candidates = payload["candidates"]
        return {**payload, "candidates": [candidates[index] for index in order]}
