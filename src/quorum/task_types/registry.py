"""The task-type registry: the one place that knows which types exist. Built-ins register like any other."""

from __future__ import annotations

from typing import Any

from quorum.errors import Invalid, field_error
from quorum.task_types.base import TaskType

AnyTaskType = TaskType[Any, Any, Any]

_REGISTRY: dict[str, AnyTaskType] = {}


def register(task_type: AnyTaskType) -> AnyTaskType:
    if task_type.name in _REGISTRY:
        raise ValueError(f"task type {task_type.name!r} is registered twice")
    _REGISTRY[task_type.name] = task_type
    return task_type


def get(name: str) -> AnyTaskType:
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise Invalid(
            f"unknown task type {name!r}; known types: {known}",
            [field_error("task_type", f"must be one of: {known}")],
        ) from None


def all_types() -> list[AnyTaskType]:
    _load_builtins()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def _load_builtins() -> None:
    if _REGISTRY:
        return
    # One line per built-in type: adding a type is its folder plus this line.
    from quorum.task_types import classification, critique, pairwise, ranking, rating, sft, steps

    for module in (classification, critique, pairwise, ranking, rating, sft, steps):
        register(module.TASK_TYPE)
