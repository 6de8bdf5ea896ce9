"""The product's one door to the reward library (``quorum.core.reward``): labels and embeddings in,
ensembles, scores, reports and selections out, in the shapes the services store.

A label says "first beat second". The library learns from (feature, y) rows, so every other label is
presented swapped with y = 0: the heads see both classes and the held-out calibration table compares
predicted and observed frequencies of "a preferred" rather than a column of ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quorum.core.reward import acquire, evaluate, features, model, pairs

FloatArray = NDArray[np.float64]
Ensemble = model.Ensemble
ScoreSet = model.ScoreSet
STRATEGIES = acquire.STRATEGIES
MIN_LABELS = model.MIN_LABELS


def _presented(prompt: FloatArray, first: FloatArray, second: FloatArray) -> tuple[FloatArray, FloatArray]:
    swap = np.arange(len(first)) % 2 == 1
    a = np.where(swap[:, None], second, first)
    b = np.where(swap[:, None], first, second)
    return features.pair_features(prompt, a, b), (~swap).astype(np.float64)


def fit(
    prompt: FloatArray,
    first: FloatArray,
    second: FloatArray,
    weight: FloatArray,
    *,
    seed: int,
    heads: int = 8,
    min_labels: int = MIN_LABELS,
) -> Ensemble:
    diff, y = _presented(prompt, first, second)
    return model.fit(diff, y, weight, heads=heads, seed=seed, min_labels=min_labels)


def report(
    ensemble: Ensemble,
    prompt: FloatArray,
    first: FloatArray,
    second: FloatArray,
    strength: Sequence[str | None],
    *,
    seed: int,
) -> dict[str, Any]:
    diff, y = _presented(prompt, first, second)
    return evaluate.report(ensemble, diff, y, list(strength), seed=seed)


def correct(ensemble: Ensemble, prompt: FloatArray, first: FloatArray, second: FloatArray) -> FloatArray:
    """1 where the ensemble prefers the consensus winner (a coin flip counts half)."""
    p = ensemble.predict(features.pair_features(prompt, first, second)).mean_p
    result: FloatArray = np.where(p == 0.5, 0.5, (p > 0.5).astype(np.float64))
    return result


def score(ensemble: Ensemble, prompt: FloatArray, a: FloatArray, b: FloatArray) -> ScoreSet:
    """Scores of "candidate a is preferred to candidate b" per row."""
    return ensemble.predict(features.pair_features(prompt, a, b))


def rewards(ensemble: Ensemble, prompt: FloatArray, response: FloatArray) -> FloatArray:
    return ensemble.reward(features.response_features(prompt, response))


def select(
    strategy: str,
    scores: ScoreSet,
    prompt_vecs: FloatArray,
    k: int,
    control_share: float,
    rng: np.random.Generator,
    *,
    reward_values: FloatArray | None = None,
    wrong: NDArray[np.bool_] | None = None,
) -> tuple[list[int], list[int]]:
    """(the strategy's picks, best first; the random control arm)."""
    found = acquire.select(
        strategy,
        scores,
        prompt_vecs,
        k,
        control_share=control_share,
        rng=rng,
        rewards=reward_values,
        wrong=wrong,
    )
    return [int(i) for i in found.chosen], [int(i) for i in found.control]


def least_sure_pair(
    ensemble: Ensemble, candidate_vecs: FloatArray, prompt_vec: FloatArray
) -> tuple[int, int]:
    return pairs.least_sure_pair(candidate_vecs, prompt_vec, ensemble)


def to_json(ensemble: Ensemble) -> dict[str, Any]:
    return ensemble.to_dict()


def from_json(data: dict[str, Any]) -> Ensemble:
    return Ensemble.from_dict(data)


def bootstrap_accuracy(values: FloatArray, *, seed: int) -> dict[str, Any]:
    """Share correct with its 95% percentile-bootstrap interval (as the library reports it)."""
    if len(values) == 0:
        return {"n": 0, "accuracy": None, "accuracy_low": None, "accuracy_high": None}
    low, high = evaluate._bootstrap(values, 2000, 0.95, seed)
    return {"n": len(values), "accuracy": float(values.mean()), "accuracy_low": low, "accuracy_high": high}
