"""Classification: one label or several, chosen from the project's list, for any content."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quorum.core import policy
from quorum.errors import Invalid, field_error
from quorum.task_types.base import (
    Consensus,
    ExportItem,
    ExportWriter,
    TaskType,
    count_votes,
    plurality,
)
from quorum.task_types.chat import Message


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(min_length=2, description="The labels to choose from, in display order.")
    multi: bool = Field(default=False, description="Allow several labels per item.")
    allow_other: bool = Field(default=False, description="Offer an 'other' box for a label not in the list.")

    @field_validator("labels")
    @classmethod
    def _unique(cls, labels: list[str]) -> list[str]:
        if any(not label.strip() for label in labels):
            raise ValueError("labels must not be empty")
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be unique")
        return labels


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    messages: list[Message] | None = None

    @model_validator(mode="after")
    def _one_content(self) -> Payload:
        if (self.text is None) == (self.messages is None):
            raise ValueError("give exactly one of 'text' or 'messages'")
        if self.messages is not None and not self.messages:
            raise ValueError("messages must not be empty")
        return self


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default_factory=list)
    other: str | None = Field(
        default=None, max_length=500, description="Free text when no listed label fits."
    )

    @model_validator(mode="after")
    def _something(self) -> Answer:
        if not self.labels and not (self.other or "").strip():
            raise ValueError("choose a label (or describe it under 'other')")
        return self


class Classification(TaskType[Config, Payload, Answer]):
    name = "classification"
    description = "Choose one label (or several) from the project's list for a text or a conversation."
    agreement_level = "nominal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        details = [
            field_error(f"answer.labels.{i}", f"unknown label {label!r}")
            for i, label in enumerate(answer.labels)
            if label not in config.labels
        ]
        if len(set(answer.labels)) != len(answer.labels):
            details.append(field_error("answer.labels", "repeated label"))
        if answer.other is not None and not config.allow_other:
            details.append(field_error("answer.other", "this project has no 'other'"))
        if not config.multi and len(answer.labels) + (1 if answer.other else 0) != 1:
            details.append(field_error("answer.labels", "choose exactly one label"))
        if details:
            raise Invalid(f"invalid answer: {details[0]['field']}: {details[0]['msg']}", details)

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "majority", 0)
        if not config.multi:
            # An "other" answer votes for the literal label "other", ranked after the configured ones.
            counts = count_votes(a["labels"][0] if a.get("labels") else "other" for a in answers)
            label, votes = plurality(counts, [*config.labels, "other"])
            return Consensus({"labels": [label]}, votes / n, "majority", n)
        # Multi-label: each label is its own yes/no vote; keep those a strict majority chose.
        counts = count_votes(label for a in answers for label in a["labels"])
        chosen = [label for label in config.labels if counts.get(label, 0) * 2 > n]
        agreement = [max(counts.get(label, 0), n - counts.get(label, 0)) / n for label in config.labels]
        return Consensus({"labels": chosen}, sum(agreement) / len(agreement), "majority", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"labels": _labelled_rows}

    def random_answer(self, config: Config, payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        if config.multi:
            return {"labels": rng.sample(config.labels, rng.randint(1, len(config.labels)))}
        return {"labels": [rng.choice(config.labels)]}

    def wrong_answer(self, gold: dict[str, Any], config: Config, rng: random.Random) -> dict[str, Any] | None:
        chosen = set(gold.get("labels") or [])
        if config.multi:
            # One label toggled: still an answer, never the gold's set (an empty set is no answer).
            options = [
                toggled
                for flip in config.labels
                if (toggled := [label for label in config.labels if (label in chosen) != (label == flip)])
            ]
            return {"labels": rng.choice(options)} if options else None
        others = [label for label in config.labels if label not in chosen]
        return {"labels": [rng.choice(others)]} if others else None

    def example(self) -> dict[str, Any]:
        return {
            "config": {"labels": ["positive", "negative", "neutral"], "multi": False},
            "item": {
                "external_id": "review-1",
                "payload": {"text": "The battery lasts two days and the screen is sharp."},
                "metadata": {"source": "demo"},
            },
            "answer": {"labels": ["positive"]},
        }

    def gold_score(self, answer: dict[str, Any], gold: dict[str, Any], config: Config) -> float:
        # Chosen labels are a set: their order carries no meaning.
        return policy.gold_score(answer, gold, frozenset({"labels"}))

    def contrasting_answer(self) -> dict[str, Any]:
        return {"labels": ["negative"]}

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        labels = answer.get("labels") or []
        if not config.multi:
            # As in the consensus, an "other" answer is the literal label "other".
            return {"label": labels[0] if labels else "other"}
        # Several labels: each configured label is its own yes/no question.
        return {f"label.{label}": label in labels for label in config.labels}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"labels": ["delighted"]}, "answer.labels.0"),
            ({"labels": ["positive", "negative"]}, "answer.labels"),
            ({"labels": []}, "answer"),
            ({"labels": ["positive"], "other": "meh"}, "answer.other"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [
            {"external_id": f"review-{i + 1}", "payload": {"text": text}, "metadata": {"source": "demo"}}
            for i, text in enumerate(DEMO_REVIEWS)
        ]


def _labelled_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    if consensus.answer is None:
        return []
    content: dict[str, Any] = {k: v for k, v in item.payload.items() if k in ("text", "messages")}
    labels = consensus.answer["labels"]
    return [
        {
            "external_id": item.external_id,
            **content,
            "labels": labels,
            "label": labels[0] if not config.multi and labels else None,
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
            "metadata": item.metadata,
        }
    ]


DEMO_REVIEWS = [
    "The battery easily lasts two days, and the screen is bright even in sunlight.",
    "It stopped charging after a week. Support never answered my emails.",
    "Arrived on Tuesday. The box contained the phone, a cable and a manual.",
    "Honestly the best headphones I have owned: the noise cancelling is superb.",
    "The zipper broke the first time I used the bag. Very disappointed.",
    "Shipping took ten days, which is what the site said it would take.",
    "The recipe was easy to follow and the bread came out perfectly.",
    "Too salty, and the portion was tiny for the price.",
    "The hotel is near the station; breakfast is served from 7 to 10.",
    "Great value. I bought a second one for my parents.",
    "The app crashes every time I open the settings page.",
    "Setup took five minutes and everything just worked.",
]

TASK_TYPE = Classification()
