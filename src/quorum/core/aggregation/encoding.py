"""Map string question/worker/label ids to dense integer codes, and drop repeated answers.

Aggregation methods work on integer arrays so that every step is a vectorised ``bincount`` or fancy
index; this module is the one place that knows about the original ids.

Codes:
- questions and workers are numbered in order of first appearance, so outputs follow input order;
- labels are numbered in *sorted* order (numerically when every label parses as a number, else as
  strings) so that label codes, and any rule that breaks ties by label code, do not depend on row order.

Repeated answers: when a worker answers the same question more than once, only the **last** answer
(in input order, i.e. the most recent submission) is kept; the others are dropped and counted.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Encoded:
    """Integer-coded answers plus the names behind each code (``*_names[code] == original id``)."""

    tasks: IntArray
    workers: IntArray
    labels: IntArray
    task_names: list[str]
    worker_names: list[str]
    label_names: list[str]
    n_duplicates: int

    @property
    def n_tasks(self) -> int:
        return len(self.task_names)

    @property
    def n_workers(self) -> int:
        return len(self.worker_names)

    @property
    def n_labels(self) -> int:
        return len(self.label_names)

    @property
    def n_answers(self) -> int:
        return int(self.tasks.size)


def _number_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def label_order(names: Iterable[str]) -> list[str]:
    """Sorted label names: numeric order when all labels are finite numbers, else string order."""
    unique = sorted(set(names))
    numbers = [_number_or_none(name) for name in unique]
    if unique and all(n is not None for n in numbers):
        # Ties in value ("1" vs "1.0") fall back to the string so the order stays total.
        return [name for _, name in sorted(zip(numbers, unique, strict=True), key=lambda p: (p[0], p[1]))]
    return unique


def keep_last(
    tasks: IntArray, workers: IntArray, labels: IntArray, n_workers: int
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Keep the last answer of each (task, worker) pair; return the kept rows, in input order, and
    how many rows were dropped."""
    keys = tasks * max(n_workers, 1) + workers
    # np.unique returns the first occurrence; on the reversed array that is the last one.
    _, first_in_reversed = np.unique(keys[::-1], return_index=True)
    keep = np.sort(keys.size - 1 - first_in_reversed)
    dropped = int(keys.size - keep.size)
    if dropped == 0:
        return tasks, workers, labels, 0
    return tasks[keep], workers[keep], labels[keep], dropped


class Encoder:
    """Incremental encoder: feed rows one at a time (e.g. from a CSV stream), then ``finish()``.

    Memory is three machine-integer arrays plus one dict per id kind, never a list of row tuples.
    """

    def __init__(self) -> None:
        self._task_codes: dict[str, int] = {}
        self._worker_codes: dict[str, int] = {}
        self._label_codes: dict[str, int] = {}
        self._tasks = array("q")
        self._workers = array("q")
        self._labels = array("q")

    @staticmethod
    def _code(codes: dict[str, int], name: str) -> int:
        code = codes.get(name)
        if code is None:
            code = codes[name] = len(codes)
        return code

    def add(self, task: str, worker: str, label: str) -> None:
        self._tasks.append(self._code(self._task_codes, task))
        self._workers.append(self._code(self._worker_codes, worker))
        self._labels.append(self._code(self._label_codes, label))

    def finish(self) -> Encoded:
        tasks = np.frombuffer(self._tasks, dtype=np.int64).copy()
        workers = np.frombuffer(self._workers, dtype=np.int64).copy()
        first_seen_labels = np.frombuffer(self._labels, dtype=np.int64)
        label_names = label_order(self._label_codes)
        # Labels were numbered by first appearance while streaming; renumber them in sorted order.
        remap = np.empty(len(label_names), dtype=np.int64)
        sorted_code = {name: i for i, name in enumerate(label_names)}
        for name, code in self._label_codes.items():
            remap[code] = sorted_code[name]
        labels = remap[first_seen_labels] if first_seen_labels.size else first_seen_labels.copy()
        tasks, workers, labels, dropped = keep_last(tasks, workers, labels, len(self._worker_codes))
        return Encoded(
            tasks=tasks,
            workers=workers,
            labels=labels,
            task_names=list(self._task_codes),
            worker_names=list(self._worker_codes),
            label_names=label_names,
            n_duplicates=dropped,
        )


def encode(rows: Iterable[tuple[str, str, str]]) -> Encoded:
    """Encode ``(question, worker, label)`` rows; see the module docstring for the code rules."""
    encoder = Encoder()
    for task, worker, label in rows:
        encoder.add(task, worker, label)
    return encoder.finish()
