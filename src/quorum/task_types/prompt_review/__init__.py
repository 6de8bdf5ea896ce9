"""Prompt review: a person approves a proposed prompt as it is, edits it, or rejects it with a reason. The
approval step of synthetic prompts (``quorum.synthetic``), usable for any list of prompts to vet."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quorum.task_types.base import (
    Consensus,
    ExportItem,
    ExportWriter,
    TaskType,
    count_votes,
    plurality,
    refuse,
)

DECISIONS = ["approve", "edit", "reject"]
VALID = frozenset({"approve", "edit"})


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[str] = Field(
        default_factory=lambda: ["unclear", "unanswerable", "harmful", "duplicate", "off-topic"],
        description="Reasons offered for a rejection (a reviewer may also write their own).",
    )


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, description="The proposed prompt.")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "edit", "reject"]
    text: str | None = Field(default=None, max_length=20000, description="The edited prompt (edit only).")
    reason: str | None = Field(default=None, max_length=500, description="Why it is rejected (reject only).")


class PromptReview(TaskType[Config, Payload, Answer]):
    name = "prompt_review"
    description = "Approve a proposed prompt, edit it into a good one, or reject it with a reason."
    agreement_level = "nominal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        problems: list[tuple[str, str]] = []
        text = (answer.text or "").strip()
        if answer.decision == "edit" and not text:
            problems.append(("answer.text", "an edit needs the edited prompt"))
        elif answer.decision == "edit" and text == payload.prompt.strip():
            problems.append(("answer.text", "the edit is the same as the prompt: approve it instead"))
        if answer.decision != "edit" and answer.text is not None:
            problems.append(("answer.text", "only an edit carries a text"))
        if answer.decision == "reject" and not (answer.reason or "").strip():
            problems.append(("answer.reason", "a rejection needs a reason"))
        refuse(problems)

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "majority", 0)
        decision, votes = plurality(count_votes(a["decision"] for a in answers), DECISIONS)
        chosen: dict[str, Any] = {"decision": decision}
        if decision == "edit":
            texts = [a["text"] for a in answers if a["decision"] == "edit"]
            chosen["text"] = plurality(count_votes(texts), texts)[0]
        elif decision == "reject":
            reasons = [a.get("reason") or "" for a in answers if a["decision"] == "reject"]
            chosen["reason"] = plurality(count_votes(reasons), reasons)[0]
        return Consensus(chosen, votes / n, "majority", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"prompts": _prompt_rows}

    def random_answer(self, config: Config, payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        decision = rng.choice(DECISIONS)
        if decision == "edit":
            return {"decision": "edit", "text": f"{payload['prompt']} (edited)"}
        if decision == "reject":
            return {"decision": "reject", "reason": rng.choice(config.reasons or ["unclear"])}
        return {"decision": "approve"}

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        return {"decision": answer.get("decision")}

    def example(self) -> dict[str, Any]:
        return {
            "config": {"reasons": ["unclear", "unanswerable", "harmful"]},
            "item": {
                "external_id": "synthetic-1",
                "payload": {"prompt": "Write a haiku about a lighthouse keeper's last night on duty."},
                "metadata": {"source": "demo"},
            },
            "answer": {"decision": "approve"},
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"decision": "reject", "reason": "unclear"}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"decision": "edit"}, "answer.text"),
            ({"decision": "reject"}, "answer.reason"),
            ({"decision": "approve", "text": "something else"}, "answer.text"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [
            {"external_id": f"synthetic-{i + 1}", "payload": {"prompt": p}, "metadata": {"source": "demo"}}
            for i, p in enumerate(DEMO_PROMPTS)
        ]


def _prompt_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    if consensus.answer is None:
        return []
    decision = consensus.answer["decision"]
    return [
        {
            "external_id": item.external_id,
            "prompt": consensus.answer.get("text") or item.payload["prompt"],
            "original": item.payload["prompt"],
            "decision": decision,
            "valid": decision in VALID,
            "reason": consensus.answer.get("reason"),
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
            "metadata": item.metadata,
        }
    ]


DEMO_PROMPTS = [
    "Write a haiku about a lighthouse keeper's last night on duty.",
    "Explain to a ten-year-old why the sky is blue, in three sentences.",
    "List five questions a doctor should ask before prescribing antibiotics.",
    "Tell me about it.",
]

TASK_TYPE = PromptReview()
