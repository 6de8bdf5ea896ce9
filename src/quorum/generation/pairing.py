"""Which generations an annotator compares, and in which positions: plain functions of the generations and
a seed, so a rerun builds the same comparisons."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

PAIRINGS = ("all_pairs", "random_pairs", "model_vs_model", "least_sure")
# The pair the current reward model is least sure of (``reward/pair_choice.py``); random without one.
LEAST_SURE = "least_sure"
KSET = "kset"


@dataclass(frozen=True)
class Sample:
    """One generation as pairing sees it."""

    id: int
    model: str
    sample: int


def shuffle_seed(base_seed: int, item_id: int) -> int:
    """The recorded seed that draws an item's comparisons and positions."""
    return base_seed * 2**31 + item_id


def comparisons(
    samples: Sequence[Sample],
    pairing: str,
    slots: tuple[int, int],
    seed: int,
    least_sure: Callable[[list[Sample]], tuple[int, int]] | None = None,
) -> list[list[Sample]]:
    """The comparisons built from one item's ``samples``, each in its shuffled screen order. Pairwise
    pairings need ``slots == (2, 2)``; ``kset`` takes between ``slots[0]`` and ``slots[1]`` samples (a random
    subset when there are more). Too few samples build nothing."""
    rng = random.Random(seed)
    ordered = sorted(samples, key=lambda s: (s.model, s.sample, s.id))
    low, high = slots
    groups: list[list[Sample]]
    if len(ordered) < low:
        return []
    if pairing == "all_pairs":
        groups = [list(pair) for pair in combinations(ordered, 2)]
    elif pairing == "random_pairs" or (pairing == LEAST_SURE and least_sure is None):
        groups = [rng.sample(ordered, 2)]
    elif pairing == LEAST_SURE and least_sure is not None:
        i, j = least_sure(ordered)
        groups = [[ordered[i], ordered[j]]]
    elif pairing == "model_vs_model":
        by_model: dict[str, list[Sample]] = {}
        for s in ordered:
            by_model.setdefault(s.model, []).append(s)
        groups = [
            [rng.choice(by_model[a]), rng.choice(by_model[b])] for a, b in combinations(sorted(by_model), 2)
        ]
    elif pairing == KSET:
        groups = [ordered if len(ordered) <= high else sorted(rng.sample(ordered, high), key=ordered.index)]
    else:
        raise ValueError(f"unknown pairing {pairing!r}")
    for group in groups:
        rng.shuffle(group)
    return groups
