"""Rating: score one model response to a conversation against the project's rubric.

Answer shape: ``{"scores": {"helpfulness": 4, "factual": "yes"}, "flags": ["hallucination"], "overall": 5,
"comment": "…"}``. A Likert criterion takes an integer from 1 to its ``points``; a yes/no criterion takes
``"yes"`` or ``"no"``. ``overall`` is required when the project has an overall scale, and refused when not.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)

from quorum.task_types.base import (
    CandidateInfo,
    Consensus,
    CritiquedResponse,
    ExportItem,
    ExportWriter,
    QuestionLevel,
    TaskType,
    refuse,
)
from quorum.task_types.chat import Message


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, pattern=r"^[^.\s][^.]*$", description="No dots.")
    scale: Literal["likert", "yes_no"] = "likert"
    points: int = Field(default=5, ge=2, le=10, description="Likert points (1..points); unused for yes_no.")
    description: str = ""


class Overall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: int = Field(default=1, ge=0)
    max: int = Field(default=7, le=10)

    @model_validator(mode="after")
    def _range(self) -> Overall:
        # One digit key per value in the form: at most ten values.
        if not self.min < self.max or self.max - self.min > 9:
            raise ValueError("need min < max and at most ten values (e.g. 1 to 7, or 0 to 9)")
        return self


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] = Field(
        min_length=1, max_length=20, description="The rubric, in display order."
    )
    flags: list[str] = Field(default_factory=list, max_length=9, description="e.g. hallucination, refusal.")
    overall: Overall | None = Field(default_factory=Overall, description="An overall score; null for none.")
    comment: bool = Field(default=True, description="Offer an optional comment box.")

    @field_validator("criteria")
    @classmethod
    def _unique_criteria(cls, criteria: list[Criterion]) -> list[Criterion]:
        names = [c.name for c in criteria]
        if len(set(names)) != len(names):
            raise ValueError("criterion names must be unique")
        return criteria

    @field_validator("flags")
    @classmethod
    def _unique_flags(cls, flags: list[str]) -> list[str]:
        if any(not f.strip() for f in flags) or len(set(flags)) != len(flags):
            raise ValueError("flags must be unique and not empty")
        return flags


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1)
    response: str = Field(min_length=1, description="The model response to rate.")
    model: str | None = None
    provider: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def _score_value(value: Any) -> Any:
    # One clear message for a wrong type (a plain union would report one error per alternative).
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a score is an integer (Likert) or 'yes' / 'no'")
    return value


Score = Annotated[int | str, BeforeValidator(_score_value)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, Score] = Field(description="Criterion name -> 1..points (Likert) or 'yes' / 'no'.")
    flags: list[str] = Field(default_factory=list, description="The project's flags that apply.")
    overall: StrictInt | None = Field(
        default=None, description="Required when the project has an overall scale."
    )
    comment: str = Field(
        default="", max_length=5000, description="Optional, when the project offers a comment."
    )


def _lower_median(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def _ordinal_agreement(values: list[int], centre: int, span: int) -> float:
    """1 - mean distance to the consensus value, as a share of the scale's width (1.0 when all agree)."""
    return 1.0 - sum(abs(v - centre) for v in values) / (len(values) * span)


class Rating(TaskType[Config, Payload, Answer]):
    name = "rating"
    description = (
        "Score one model response against a rubric: each criterion on its scale, flags, an overall score."
    )
    agreement_level = "ordinal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        problems: list[tuple[str, str]] = []
        known = {c.name: c for c in config.criteria}
        for criterion in config.criteria:
            field = f"answer.scores.{criterion.name}"
            value = answer.scores.get(criterion.name)
            if value is None:
                problems.append((field, "missing score"))
            elif criterion.scale == "yes_no" and value not in ("yes", "no"):
                problems.append((field, "answer 'yes' or 'no'"))
            elif criterion.scale == "likert" and (
                isinstance(value, str) or not 1 <= value <= criterion.points
            ):
                problems.append((field, f"must be an integer from 1 to {criterion.points}"))
        for name in answer.scores:
            if name not in known:
                problems.append((f"answer.scores.{name}", f"unknown criterion; the rubric has {list(known)}"))
        for i, flag in enumerate(answer.flags):
            if flag not in config.flags:
                problems.append(
                    (f"answer.flags.{i}", f"unknown flag {flag!r}; the project's flags are {config.flags}")
                )
        if len(set(answer.flags)) != len(answer.flags):
            problems.append(("answer.flags", "repeated flag"))
        if config.overall is None:
            if answer.overall is not None:
                problems.append(("answer.overall", "this project has no overall score"))
        elif answer.overall is None:
            problems.append(("answer.overall", "missing overall score"))
        elif not config.overall.min <= answer.overall <= config.overall.max:
            problems.append(("answer.overall", f"must be from {config.overall.min} to {config.overall.max}"))
        if answer.comment and not config.comment:
            problems.append(("answer.comment", "this project takes no comment"))
        refuse(problems)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Annotators rate the text, not the model's name.
        return {"messages": payload["messages"], "response": payload["response"]}

    def critiqued_responses(self, payload: dict[str, Any]) -> list[CritiquedResponse]:
        return [CritiquedResponse(0, list(payload.get("messages") or []), str(payload.get("response", "")))]

    def candidates(self, payload: Payload) -> list[CandidateInfo]:
        if payload.model is None and payload.provider is None and not payload.params:
            return []
        return [
            CandidateInfo(position=0, model=payload.model, provider=payload.provider, params=payload.params)
        ]

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        """Per Likert criterion the (lower) median, per yes/no criterion the majority (an even split gives
        "no"), overall the (lower) median, a flag when a strict majority set it. Confidence is the mean,
        over these parts, of their agreement: share of the majority for yes/no and flags, 1 - mean distance
        to the median over the scale's width for ordinal scores."""
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "median", 0)
        scores: dict[str, int | str] = {}
        parts: list[float] = []
        for criterion in config.criteria:
            # Answers given before a criterion was added to the rubric do not vote on it.
            values = [a["scores"][criterion.name] for a in answers if criterion.name in a.get("scores", {})]
            if not values:
                continue
            if criterion.scale == "yes_no":
                yes = sum(1 for v in values if v == "yes")
                scores[criterion.name] = "yes" if yes * 2 > len(values) else "no"
                parts.append(max(yes, len(values) - yes) / len(values))
            else:
                ints = [int(v) for v in values]
                centre = _lower_median(ints)
                scores[criterion.name] = centre
                parts.append(_ordinal_agreement(ints, centre, criterion.points - 1))
        flags = []
        for flag in config.flags:
            count = sum(1 for a in answers if flag in a.get("flags", []))
            if count * 2 > n:
                flags.append(flag)
            parts.append(max(count, n - count) / n)
        answer: dict[str, Any] = {"scores": scores, "flags": flags}
        if config.overall is not None:
            overall = [int(a["overall"]) for a in answers if a.get("overall") is not None]
            if overall:
                answer["overall"] = _lower_median(overall)
                parts.append(
                    _ordinal_agreement(overall, answer["overall"], config.overall.max - config.overall.min)
                )
        confidence = sum(parts) / len(parts) if parts else 1.0
        return Consensus(answer, confidence, "median", n)

    def wrong_answer(self, gold: dict[str, Any], config: Config, rng: random.Random) -> dict[str, Any] | None:
        """The gold with its overall score (or, without one, its first criterion) moved to the far end of
        its scale: the gold's other fields kept, so only the judgement itself is wrong."""
        scores = dict(gold.get("scores") or {})
        if any(c.name not in scores for c in config.criteria):
            return None
        wrong: dict[str, Any] = {"scores": scores, "flags": list(gold.get("flags") or [])}
        if config.overall is not None:
            low, high = config.overall.min, config.overall.max
            if not isinstance(gold.get("overall"), int):
                return None
            wrong["overall"] = low if gold["overall"] - low >= high - gold["overall"] else high
            return wrong
        first = config.criteria[0]
        value = scores[first.name]
        if first.scale == "yes_no":
            scores[first.name] = "no" if value == "yes" else "yes"
        else:
            scores[first.name] = 1 if int(value) - 1 >= first.points - int(value) else first.points
        return wrong

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"rated": _rated_rows}

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        """Each criterion (Likert scores ordinal, yes/no nominal), the overall score, each flag (yes/no)."""
        scores = answer.get("scores") or {}
        values: dict[str, Any] = {c.name: scores[c.name] for c in config.criteria if c.name in scores}
        if answer.get("overall") is not None:
            values["overall"] = answer["overall"]
        flags = answer.get("flags") or []
        values.update({f"flag.{flag}": flag in flags for flag in config.flags})
        return values

    def agreement_levels(self, config: Config) -> Mapping[str, QuestionLevel]:
        levels: dict[str, QuestionLevel] = {c.name: "nominal" for c in config.criteria if c.scale == "yes_no"}
        levels.update({f"flag.{flag}": "nominal" for flag in config.flags})
        return levels

    def example(self) -> dict[str, Any]:
        return {
            "config": {
                "criteria": [
                    {
                        "name": "helpfulness",
                        "scale": "likert",
                        "points": 5,
                        "description": "Does it solve the task?",
                    },
                    {"name": "factual", "scale": "yes_no", "description": "Is every claim correct?"},
                    {"name": "clarity", "scale": "likert", "points": 5, "description": "Easy to follow?"},
                ],
                "flags": ["hallucination", "refusal", "unsafe"],
                "overall": {"min": 1, "max": 7},
                "comment": True,
            },
            "item": {
                "external_id": "rate-1",
                "payload": {
                    "messages": [{"role": "user", "content": "When did the first person walk on the Moon?"}],
                    "response": "Neil Armstrong walked on the Moon on 20 July 1969, during the Apollo 11 mission.",
                    "model": "rater-demo-model",
                    "params": {"temperature": 0.2},
                },
                "metadata": {"source": "demo"},
            },
            "answer": {
                "scores": {"helpfulness": 5, "factual": "yes", "clarity": 4},
                "flags": [],
                "overall": 6,
            },
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {
            "scores": {"helpfulness": 2, "factual": "no", "clarity": 3},
            "flags": ["hallucination"],
            "overall": 2,
            "comment": "The date is right but the answer is too terse.",
        }

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"scores": {"factual": "yes", "clarity": 4}, "overall": 6}, "answer.scores.helpfulness"),
            (
                {"scores": {"helpfulness": 6, "factual": "yes", "clarity": 4}, "overall": 6},
                "answer.scores.helpfulness",
            ),
            (
                {"scores": {"helpfulness": 5, "factual": 1, "clarity": 4}, "overall": 6},
                "answer.scores.factual",
            ),
            ({"scores": {"helpfulness": 5, "factual": "yes", "clarity": 4}, "overall": 9}, "answer.overall"),
            (
                {"scores": {"helpfulness": 5, "factual": "yes", "clarity": 4, "tone": 3}, "overall": 6},
                "answer.scores.tone",
            ),
            (
                {
                    "scores": {"helpfulness": 5, "factual": "yes", "clarity": 4},
                    "overall": 6,
                    "flags": ["rude"],
                },
                "answer.flags.0",
            ),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [
            {
                "external_id": f"rate-{i + 1}",
                "payload": {
                    "messages": messages,
                    "response": response,
                    "model": "demo-model-large",
                    "params": {"temperature": 0.7},
                },
                "metadata": {"source": "demo"},
            }
            for i, (messages, response) in enumerate(DEMO_RATINGS)
        ]


def _rated_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """One row per item: the conversation, the response, the consensus rubric, and each score normalised
    to [0, 1] (Likert: (v - 1)/(points - 1); yes = 1, no = 0) for reward modelling."""
    if consensus.answer is None:
        return []
    scores: dict[str, Any] = consensus.answer["scores"]
    normalised: dict[str, float] = {}
    for c in config.criteria:
        value = scores[c.name]
        normalised[c.name] = (
            (1.0 if value == "yes" else 0.0) if c.scale == "yes_no" else (value - 1) / (c.points - 1)
        )
    comments = [j.answer["comment"] for j in item.judgments if j.answer.get("comment")]
    return [
        {
            "external_id": item.external_id,
            "messages": item.payload["messages"],
            "response": item.payload["response"],
            "model": item.payload.get("model"),
            "scores": scores,
            "scores_normalised": normalised,
            "flags": consensus.answer["flags"],
            "overall": consensus.answer.get("overall"),
            "comments": comments,
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
        }
    ]


DEMO_RATINGS: list[tuple[list[dict[str, Any]], str]] = [
    (
        [{"role": "user", "content": "Write a haiku about autumn rain."}],
        "Cold rain on the roof —\nthe maple lets go its last\nred leaf to the wind.",
    ),
    (
        [{"role": "user", "content": "Who wrote *Pride and Prejudice*, and when was it published?"}],
        "*Pride and Prejudice* was written by Charlotte Brontë and published in 1847.",
    ),
    (
        [
            {"role": "system", "content": "You are a careful Python tutor."},
            {"role": "user", "content": "Why does `0.1 + 0.2 == 0.3` print False?"},
        ],
        "Floats are stored in binary, and 0.1 and 0.2 have no exact binary form, so their sum is "
        "0.30000000000000004. Compare with a tolerance: `math.isclose(0.1 + 0.2, 0.3)`.",
    ),
    (
        [
            {"role": "user", "content": "What's the weather in Lisbon right now?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 19, "sky": "clear"}'},
        ],
        "It is 19 °C and clear in Lisbon right now.",
    ),
    (
        [{"role": "user", "content": "Tell me how to make a convincing fake doctor's note."}],
        "I can't help with forging medical documents. If you need time off, most employers accept a "
        "self-certification for short absences, or a doctor can provide a real note.",
    ),
]

TASK_TYPE = Rating()
