"""The prompt a model answers an item with, and the structured-output schema it must follow.

The model sees the item as annotators do (``public_payload``: no model names) in its stored order, the
project's configuration (labels, rubric) and the task type's answer schema; its reply is validated like a
human answer. ``TEMPLATE_VERSION`` is recorded on every suggestion: change it whenever the text changes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from quorum.task_types.base import TaskType

TEMPLATE_VERSION = "suggest-v1"

SYSTEM = (
    "You pre-label items for human annotators. Answer the item with one JSON object that follows the "
    "given JSON schema exactly and nothing else. Candidates are numbered from 0 in the order given; in "
    "pairwise items 'A' is candidate 0 and 'B' candidate 1."
)


def messages(
    kind: TaskType[Any, Any, Any], config: BaseModel, payload: dict[str, Any]
) -> list[dict[str, str]]:
    shown = kind.public_payload(payload)
    user = (
        f"Task type: {kind.name}: {kind.description}\n"
        f"Project configuration:\n{json.dumps(config.model_dump(mode='json'), ensure_ascii=False)}\n"
        f"Answer schema:\n{json.dumps(kind.answer_model.model_json_schema(), ensure_ascii=False)}\n"
        f"Item:\n{json.dumps(shown, ensure_ascii=False)}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def response_format(kind: TaskType[Any, Any, Any]) -> dict[str, Any]:
    """OpenAI structured output: the answer model's JSON schema (not ``strict``: Pydantic's schemas use
    defaults and optional fields that strict mode refuses; the reply is validated here anyway)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": f"{kind.name}_answer", "schema": kind.answer_model.model_json_schema()},
    }


def item_text(kind: TaskType[Any, Any, Any], payload: dict[str, Any]) -> str:
    """The item's visible text, for the learned model's embedding: every string in the public payload."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(kind.public_payload(payload))
    return "\n".join(parts)[:4000]
