"""The task-type registry: the one place that knows which types exist. Built-ins register like any other.

Third-party types are installed packages that declare an entry point in the ``quorum.task_types`` group,
named after the type and pointing at a ``TaskType`` instance::

    [project.entry-points."quorum.task_types"]
    echo = "quorum_echo:TASK_TYPE"

The registry loads the built-ins and then every such entry point the first time a type is asked for,
whatever ``register()`` calls came earlier.
"""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from quorum.errors import Invalid, field_error
from quorum.task_types.base import TaskType

AnyTaskType = TaskType[Any, Any, Any]
ENTRY_POINT_GROUP = "quorum.task_types"

_REGISTRY: dict[str, AnyTaskType] = {}
_loaded = False
_lock = threading.Lock()


class PluginError(RuntimeError):
    """A ``quorum.task_types`` entry point that cannot be loaded: a broken install, not bad input."""


def register(task_type: AnyTaskType) -> AnyTaskType:
    _add(_REGISTRY, task_type, "")
    return task_type


def get(name: str) -> AnyTaskType:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise Invalid(
            f"unknown task type {name!r}; known types: {known}",
            [field_error("task_type", f"must be one of: {known}")],
        ) from None


def all_types() -> list[AnyTaskType]:
    _load()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def _add(registry: dict[str, AnyTaskType], task_type: AnyTaskType, source: str) -> None:
    if task_type.name in registry:
        raise ValueError(f"task type {task_type.name!r} is registered twice{source}")
    registry[task_type.name] = task_type


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        # Built into a copy and swapped in whole: a broken plugin raises on every call instead of
        # leaving a registry that silently lacks some types.
        loaded = dict(_REGISTRY)
        for task_type in _builtins():
            _add(loaded, task_type, " (a built-in type)")
        for point in entry_points(group=ENTRY_POINT_GROUP):
            _add(loaded, _load_plugin(point), f" (by plugin {_describe(point)})")
        _REGISTRY.clear()
        _REGISTRY.update(loaded)
        _loaded = True


def _builtins() -> list[AnyTaskType]:
    # One line per built-in type: adding a type is its folder plus this line.
    from quorum.task_types import (
        classification,
        critique,
        pairwise,
        prompt_review,
        ranking,
        rating,
        sft,
        steps,
    )

    modules = (classification, critique, pairwise, prompt_review, ranking, rating, sft, steps)
    return [m.TASK_TYPE for m in modules]


def _describe(point: EntryPoint) -> str:
    dist = point.dist.name if point.dist is not None else "an unknown distribution"
    return f"{point.name!r} = {point.value!r} from {dist}"


def _load_plugin(point: EntryPoint) -> AnyTaskType:
    try:
        found = point.load()
    except Exception as exc:
        raise PluginError(
            f"task type plugin {_describe(point)} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(found, TaskType):
        raise PluginError(
            f"task type plugin {_describe(point)} is a {type(found).__name__}, not a TaskType instance"
        )
    if found.name != point.name:
        raise PluginError(
            f"task type plugin {_describe(point)} names its type {found.name!r}; "
            "the entry point must be named after the type"
        )
    return found
