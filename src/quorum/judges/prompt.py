"""What a judge is asked and how its reply is read. The judge sees an item as an annotator would (the
task type's public payload, candidates in one display order, no model names) and must reply with JSON
matching ``{"answer": <the task type's answer schema>, "confidence": 0..1}``; the answer is then validated
by the task type like a person's and mapped from screen positions to candidate identities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from quorum.errors import Invalid
from quorum.task_types.base import TaskType

VERSION = 1
# Two orders for a type that shows candidates: as stored and reversed (for two candidates, every order).
MAX_ORDERS = 2


def orders(kind: TaskType[Any, Any, Any], payload: dict[str, Any]) -> list[list[int] | None]:
    """The display orders an item is judged in: both candidate orders where the type shuffles candidates,
    else the item as stored (``None``)."""
    shuffled = kind.display_order(payload, 0)
    if shuffled is None or len(shuffled) < 2:
        return [None]
    identity: list[int] | None = list(range(len(shuffled)))
    reverse: list[int] | None = list(range(len(shuffled)))[::-1]
    return [identity, reverse][:MAX_ORDERS]


def response_schema(kind: TaskType[Any, Any, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "answer": kind.answer_model.model_json_schema(),
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["answer"],
    }


def messages(
    kind: TaskType[Any, Any, Any], config: dict[str, Any], shown: dict[str, Any]
) -> list[dict[str, str]]:
    system = (
        f"You are an expert annotator. Task: {kind.description} "
        f"Project settings: {json.dumps(config, sort_keys=True)}. "
        "Reply with one JSON object only: "
        '{"answer": <your answer, matching this schema>, "confidence": <0 to 1, how sure you are>}. '
        f"Answer schema: {json.dumps(kind.answer_model.model_json_schema(), sort_keys=True)}"
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(kind.public_payload(shown), ensure_ascii=False)},
    ]


def call_params(kind: TaskType[Any, Any, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The judge's own parameters plus structured output (OpenAI ``response_format`` json_schema)."""
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": f"{kind.name}_answer", "schema": response_schema(kind)},
    }
    return {"temperature": 0, **params, "response_format": fmt}


@dataclass(frozen=True)
class Reading:
    answer: dict[str, Any]
    """In candidate identities, as a person's answer is stored."""
    confidence: float | None


def read(
    kind: TaskType[Any, Any, Any], config: Any, shown: dict[str, Any], order: list[int] | None, text: str
) -> Reading:
    """The reply checked like a person's answer to the item as shown; ``Invalid`` says why not."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"the reply is not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("answer"), dict):
        raise Invalid('the reply is not an object with an "answer" object')
    raw_conf = data.get("confidence")
    confidence = None
    if isinstance(raw_conf, int | float) and not isinstance(raw_conf, bool) and 0 <= raw_conf <= 1:
        confidence = float(raw_conf)
    parsed = kind.parse_answer(data["answer"], kind.parse_payload(shown, config), config)
    answer = parsed.model_dump(mode="json", exclude_none=True)
    if order is not None:
        answer = kind.to_canonical(answer, order)
    return Reading(answer, confidence)


def label(kind: TaskType[Any, Any, Any], config: Any, answer: dict[str, Any]) -> str | None:
    """The answer's main question (the type's first agreement question) as comparable text."""
    values = kind.agreement_values(answer, config)
    if not values:
        return None
    return json.dumps(next(iter(values.values())), sort_keys=True)
