"""Batch work over many items through one interface (DESIGN "Models in the loop"): in this process by
default, on a local or existing Ray cluster when a team outgrows one process. A batch function is a
top-level (picklable) function of one batch of primitives or arrays; each backend returns its results in
the order of the batches, so a caller can checkpoint batch by batch whatever ran them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from quorum.errors import Invalid, field_error

B = TypeVar("B")
R = TypeVar("R")

INPROCESS, RAY = "inprocess", "ray"
NAMES = (INPROCESS, RAY)


class Executor(Protocol):
    name: str

    def map_batches(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        """``fn(batch)`` for each batch, yielded in the order of ``batches``; an error raised by ``fn`` is
        raised from the iterator at that batch (the batches before it have been yielded)."""
        ...


def check_name(name: str) -> str:
    """``name`` if it is an executor this package has, else ``Invalid`` naming the setting."""
    if name not in NAMES:
        raise Invalid(
            f"unknown executor {name!r}",
            [field_error("QUORUM_EXECUTOR", f"one of: {', '.join(NAMES)}")],
        )
    return name


def executor_for(name: str) -> Executor:
    """The backend called ``name`` (``QUORUM_EXECUTOR``); Ray only when the ``ray`` extra is installed."""
    check_name(name)
    if name == RAY:
        from quorum.executors.ray_backend import RayExecutor

        return RayExecutor()
    from quorum.executors.inprocess import InProcess

    return InProcess()
