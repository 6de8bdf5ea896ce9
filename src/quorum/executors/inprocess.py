"""The default backend: each batch in turn, in this thread, when the caller asks for its result (lazy,
so a cancelled job stops before the next batch is computed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any


class InProcess:
    name = "inprocess"

    def map_batches(self, fn: Callable[[Any], Any], batches: Iterable[Any]) -> Iterator[Any]:
        for batch in batches:
            yield fn(batch)
