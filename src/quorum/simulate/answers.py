"""The noise model of simulated annotators: right with probability ``accuracy`` when the true answer is
known (an item's gold, or ``metadata.truth``), otherwise a plausible random answer from the task type
(``TaskType.random_answer``).

Simulated annotators answer as people do, in the screen positions of the candidates they were shown: a
known truth (stored against candidate identities) is moved into the lease's display order first.
"""

from __future__ import annotations

import random
from typing import Any

from quorum.task_types import registry


class NoiseModel:
    def __init__(self, task_type: str, config: dict[str, Any]) -> None:
        self.kind = registry.get(task_type)
        self.config = self.kind.parse_config(config)
        self._example: dict[str, Any] = self.kind.example()["item"]["payload"]

    def random_answer(self, rng: random.Random, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.kind.random_answer(self.config, payload if payload is not None else self._example, rng)

    def answer(
        self,
        truth: dict[str, Any] | None,
        accuracy: float,
        rng: random.Random,
        *,
        payload: dict[str, Any] | None = None,
        order: list[int] | None = None,
    ) -> dict[str, Any]:
        """An answer to ``payload`` as shown in ``order`` (the lease's display order; None: as stored)."""
        if truth is not None and order is not None:
            truth = self.kind.to_displayed(truth, order)
        if truth is not None and rng.random() < accuracy:
            return dict(truth)
        for _ in range(5):
            # A wrong answer should be wrong when the truth is known.
            guess = self.random_answer(rng, payload)
            if truth is None or guess != truth:
                return guess
        return guess
