"""The noise model of simulated annotators: right with probability ``accuracy`` when the true answer is
known (an item's gold, or ``metadata.truth``), otherwise a plausible random answer.

One generator per task type that has one; other types fall back to their own example answer.
(When task types grow a ``random_answer`` hook, this table moves there.)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from quorum.task_types import registry

Generator = Callable[[dict[str, Any], random.Random], dict[str, Any]]


def _classification(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    labels = list(config.get("labels") or ["?"])
    if config.get("multi"):
        return {"labels": rng.sample(labels, rng.randint(1, len(labels)))}
    return {"labels": [rng.choice(labels)]}


def _pairwise(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    choices = ["A", "B", "tie"] if config.get("allow_tie", True) else ["A", "B"]
    choice = rng.choice(choices)
    if choice == "tie":
        return {"choice": "tie"}
    return {"choice": choice, "strength": rng.choice(["slightly", "significantly"])}


RANDOM: dict[str, Generator] = {"classification": _classification, "pairwise": _pairwise}


class NoiseModel:
    def __init__(self, task_type: str, config: dict[str, Any]) -> None:
        self.task_type = task_type
        self.config = config
        self._random = RANDOM.get(task_type)

    def random_answer(self, rng: random.Random) -> dict[str, Any]:
        if self._random is not None:
            return self._random(self.config, rng)
        example: dict[str, Any] = registry.get(self.task_type).example()["answer"]
        return example

    def answer(self, truth: dict[str, Any] | None, accuracy: float, rng: random.Random) -> dict[str, Any]:
        if truth is not None and rng.random() < accuracy:
            return dict(truth)
        for _ in range(5):
            # A wrong answer should be wrong when the truth is known.
            guess = self.random_answer(rng)
            if truth is None or guess != truth:
                return guess
        return guess
