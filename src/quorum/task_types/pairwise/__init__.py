"""Pairwise preference: which of two model responses to a conversation is better, and by how much."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quorum.task_types.base import (
    Consensus,
    CritiquedResponse,
    ExportItem,
    ExportWriter,
    TaskType,
    count_votes,
    plurality,
    refuse,
)
from quorum.task_types.candidates import CandidateIn, ShuffledCandidates, blind, check_count
from quorum.task_types.chat import Message

Strength = Literal["negligibly", "slightly", "better", "significantly"]
STRENGTHS: tuple[Strength, ...] = ("negligibly", "slightly", "better", "significantly")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_tie: bool = True
    axes: list[str] = Field(
        default_factory=list, description="Optional per-axis choices, e.g. helpfulness, harmlessness."
    )
    require_rationale: bool = False
    keep_ties_in_pairs: bool = Field(
        default=False, description="Export tied items as reward pairs with margin 0 (DPO never takes ties)."
    )


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1)
    candidates: list[CandidateIn] = Field(
        default_factory=list, description="Exactly 2, or none: the item then awaits generated candidates."
    )

    @field_validator("candidates")
    @classmethod
    def _two(cls, candidates: list[CandidateIn]) -> list[CandidateIn]:
        return check_count(candidates, 2, 2)

    @model_validator(mode="after")
    def _ends_for_a_reply(self) -> Payload:
        if self.messages[-1].role == "assistant":
            raise ValueError("the conversation must end before the reply the candidates give")
        return self


Choice = Literal["A", "B", "tie"]
# The letter of each screen position, and of each candidate index once stored.
LETTERS = ("A", "B")
OUTCOME = {"A": 1.0, "B": 0.0, "tie": 0.5}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Choice
    strength: Strength | None = None
    axes: dict[str, Choice] = Field(default_factory=dict)
    rationale: str = ""

    @model_validator(mode="after")
    def _strength(self) -> Answer:
        if self.choice != "tie" and self.strength is None:
            raise ValueError("strength is required unless the choice is 'tie'")
        if self.choice == "tie" and self.strength is not None:
            raise ValueError("a tie has no strength")
        return self


class Pairwise(ShuffledCandidates, TaskType[Config, Payload, Answer]):
    name = "pairwise"
    description = "Compare two model responses to the same conversation: A, B or tie, and how strongly."
    agreement_level = "nominal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        problems: list[tuple[str, str]] = []
        if answer.choice == "tie" and not config.allow_tie:
            problems.append(("answer.choice", "this project does not allow ties"))
        for axis in answer.axes:
            if axis not in config.axes:
                problems.append(
                    (f"answer.axes.{axis}", f"unknown axis; the project's axes are {config.axes}")
                )
        if config.require_rationale and not answer.rationale.strip():
            problems.append(("answer.rationale", "this project requires a rationale"))
        refuse(problems)

    def candidate_slots(self, config: Config) -> tuple[int, int]:
        return (2, 2)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        return blind(payload)

    def critiqued_responses(self, payload: dict[str, Any]) -> list[CritiquedResponse]:
        messages = list(payload.get("messages") or [])
        return [
            CritiquedResponse(i, messages, str(c.get("content", "")))
            for i, c in enumerate(payload.get("candidates") or [])
        ]

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "majority", 0)
        counts = count_votes(a["choice"] for a in answers)
        # An even split between A and B is a tie: neither side has a majority to train on.
        if counts.get("A", 0) == counts.get("B", 0) and counts.get("A", 0) > 0:
            choice, votes = "tie", counts.get("A", 0) + counts.get("tie", 0)
            confidence = counts.get("tie", 0) / n if counts.get("tie", 0) else 0.5
        else:
            choice, votes = plurality(counts, ["A", "B", "tie"])
            confidence = votes / n
        strengths = [
            STRENGTHS.index(a["strength"]) for a in answers if a["choice"] == choice and a.get("strength")
        ]
        answer: dict[str, Any] = {"choice": choice}
        if strengths:
            answer["strength"] = STRENGTHS[sorted(strengths)[(len(strengths) - 1) // 2]]
        return Consensus(answer, confidence, "majority", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"dpo": _dpo_rows, "pairs": _reward_pairs}

    def to_canonical(self, answer: dict[str, Any], order: list[int]) -> dict[str, Any]:
        """ "A" is the response shown first; stored, "A" is candidate 0. The choice and each axis follow."""
        letter = {shown: LETTERS[order[position]] for position, shown in enumerate(LETTERS)}
        out = dict(answer)
        if "choice" in out:
            out["choice"] = letter.get(out["choice"], out["choice"])
        if isinstance(out.get("axes"), dict):
            out["axes"] = {axis: letter.get(choice, choice) for axis, choice in out["axes"].items()}
        return out

    def comparisons(self, answer: dict[str, Any]) -> list[tuple[int, int, float]]:
        outcome = OUTCOME.get(answer.get("choice", ""))
        return [] if outcome is None else [(0, 1, outcome)]

    def random_answer(self, config: Config, payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        choice = rng.choice(["A", "B", "tie"] if config.allow_tie else ["A", "B"])
        if choice == "tie":
            return {"choice": "tie"}
        return {"choice": choice, "strength": rng.choice(["slightly", "significantly"])}

    def wrong_answer(self, gold: dict[str, Any], config: Config, rng: random.Random) -> dict[str, Any] | None:
        # The other response preferred, firmly: a tie's gold gets a side, a side's gold the other side.
        choice = gold.get("choice")
        side = rng.choice(["A", "B"]) if choice == "tie" else {"A": "B", "B": "A"}.get(str(choice))
        return {"choice": side, "strength": "significantly"} if side is not None else None

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        values: dict[str, Any] = {"choice": answer["choice"]}
        for axis, choice in (answer.get("axes") or {}).items():
            values[f"axis.{axis}"] = choice
        return values

    def example(self) -> dict[str, Any]:
        return {
            "config": {"allow_tie": True, "axes": ["helpfulness", "harmlessness"]},
            "item": {
                "external_id": "cmp-1",
                "payload": {
                    "messages": [{"role": "user", "content": "How do I boil an egg?"}],
                    "candidates": [
                        {
                            "content": "Put it in boiling water for 7 to 9 minutes, then cool it in cold water.",
                            "model": "model-a",
                            "params": {"temperature": 0.7},
                        },
                        {"content": "Eggs are a good source of protein.", "model": "model-b"},
                    ],
                },
                "metadata": {"source": "demo"},
            },
            "answer": {"choice": "A", "strength": "significantly", "axes": {"helpfulness": "A"}},
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"choice": "B", "strength": "slightly"}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"choice": "A"}, "answer"),
            ({"choice": "tie", "strength": "better"}, "answer"),
            ({"choice": "C", "strength": "better"}, "answer.choice"),
            ({"choice": "A", "strength": "better", "axes": {"style": "A"}}, "answer.axes.style"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [
            {
                "external_id": f"cmp-{i + 1}",
                "payload": {
                    "messages": [{"role": "user", "content": prompt}],
                    "candidates": [
                        {"content": a, "model": "demo-model-large", "params": {"temperature": 0.7}},
                        {"content": b, "model": "demo-model-small", "params": {"temperature": 1.0}},
                    ],
                },
                "metadata": {"source": "demo"},
            }
            for i, (prompt, a, b) in enumerate(DEMO_COMPARISONS)
        ]


def _dpo_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """TRL's conversational preference format; items whose consensus is a tie give no row."""
    if consensus.answer is None or consensus.answer["choice"] == "tie":
        return []
    chosen_at = 0 if consensus.answer["choice"] == "A" else 1
    candidates = item.payload["candidates"]
    chosen, rejected = candidates[chosen_at], candidates[1 - chosen_at]
    return [
        {
            "prompt": item.payload["messages"],
            "chosen": [{"role": "assistant", "content": chosen["content"]}],
            "rejected": [{"role": "assistant", "content": rejected["content"]}],
            "external_id": item.external_id,
            "strength": consensus.answer.get("strength"),
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
            "chosen_model": chosen.get("model"),
            "rejected_model": rejected.get("model"),
        }
    ]


MARGINS = {"negligibly": 0.25, "slightly": 0.5, "better": 1.0, "significantly": 2.0}


def _reward_pairs(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """Reward-model pairs; ``margin`` grows with the strength (tied items only if the config keeps them)."""
    if consensus.answer is None:
        return []
    candidates = item.payload["candidates"]
    choice = consensus.answer["choice"]
    if choice == "tie" and not config.keep_ties_in_pairs:
        return []
    chosen_at = 1 if choice == "B" else 0
    chosen, rejected = candidates[chosen_at], candidates[1 - chosen_at]
    return [
        {
            "external_id": item.external_id,
            "prompt": item.payload["messages"],
            "chosen": chosen["content"],
            "rejected": rejected["content"],
            "margin": 0.0 if choice == "tie" else MARGINS[consensus.answer.get("strength") or "better"],
            "tie": choice == "tie",
            "confidence": consensus.confidence,
            "chosen_model": chosen.get("model"),
            "rejected_model": rejected.get("model"),
        }
    ]


DEMO_COMPARISONS = [
    (
        "How do I reverse a list in Python?",
        "Use slicing: `my_list[::-1]` returns a reversed copy, while `my_list.reverse()` reverses it in place."
        "\n\n```python\nnums = [1, 2, 3]\nprint(nums[::-1])  # [3, 2, 1]\n```",
        "Python lists can't be reversed; you need to build a new list by hand with a loop.",
    ),
    (
        "What is the capital of Australia?",
        "Sydney is the capital of Australia.",
        "The capital of Australia is Canberra. Sydney is the largest city, a common source of confusion.",
    ),
    (
        "Explain what a derivative is in one paragraph.",
        "A derivative measures how a function's output changes as its input changes: the slope of the tangent "
        "line at a point, the limit of $(f(x+h) - f(x))/h$ as $h \\to 0$.",
        "A derivative is a financial contract whose value depends on an underlying asset.",
    ),
    (
        "How can I pick a lock to get into my neighbour's house?",
        "I can't help with getting into someone else's home. If you are locked out of your own place, a licensed "
        "locksmith can help.",
        "Insert a tension wrench into the bottom of the keyhole and rake the pins until they set.",
    ),
    ("What's 17 times 23?", "17 x 23 = 391.", "17 x 23 = 401."),
    (
        "Give me a tip to fall asleep faster.",
        "Keep a fixed wake-up time every day, even on weekends; a steady rhythm makes falling asleep easier.",
        "Keep your bedroom cool, dark and quiet, and avoid screens for an hour before bed.",
    ),
]

TASK_TYPE = Pairwise()
