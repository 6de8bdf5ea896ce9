"""A task type described as data: schemas, example and export formats (for the CLI, API and docs)."""

from __future__ import annotations

from typing import Any

from quorum.task_types.base import TaskType


def describe(kind: TaskType[Any, Any, Any]) -> dict[str, Any]:
    return {
        "name": kind.name,
        "description": kind.description,
        "agreement_level": kind.agreement_level,
        "config_schema": kind.config_model.model_json_schema(),
        "payload_schema": kind.payload_model.model_json_schema(),
        "answer_schema": kind.answer_model.model_json_schema(),
        "example": kind.example(),
        "exports": ["jsonl", *kind.exports()],
    }
