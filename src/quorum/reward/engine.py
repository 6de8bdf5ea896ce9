"""The reward-model mathematics the product calls, behind one small interface: fit an ensemble of
Bradley-Terry heads, score pairs, evaluate on held-out labels, pick a batch, pick the least-sure pair.

Every call into the reward library goes through here, so the services never depend on its exact names.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

STRATEGIES = ("random", "uncertainty", "margin", "diversity", "hybrid", "convincing_wrong")
HEADS = 8
RIDGE = 1.0
N_BOOT = 1000


@dataclass(frozen=True)
class Scores:
    """Per pair: P(first preferred), the heads' variance, BALD mutual information, and the margin."""

    mean_p: FloatArray
    var: FloatArray
    mutual_information: FloatArray
    margin: FloatArray


@dataclass(frozen=True)
class Ensemble:
    """Bradley-Terry heads over the difference of the two responses' embeddings: P = sigmoid(w . (a - b))."""

    weights: FloatArray  # heads x dims

    def predict(self, first: FloatArray, second: FloatArray) -> Scores:
        logits = (first - second) @ self.weights.T  # pairs x heads
        p = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        mean = p.mean(axis=1)
        return Scores(
            mean_p=mean,
            var=p.var(axis=1),
            mutual_information=_entropy(mean) - _entropy(p).mean(axis=1),
            margin=np.abs(2.0 * mean - 1.0),
        )


def _entropy(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    result: FloatArray = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    return result


def _head(diff: FloatArray, y: FloatArray, weight: FloatArray) -> FloatArray:
    """Weighted ridge logistic regression through the origin, by Newton steps."""
    w = np.zeros(diff.shape[1])
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-np.clip(diff @ w, -30, 30)))
        grad = diff.T @ (weight * (p - y)) + RIDGE * w
        hess = (diff * (weight * p * (1 - p))[:, None]).T @ diff + RIDGE * np.eye(diff.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def fit(
    first: FloatArray, second: FloatArray, weight: FloatArray, *, seed: int, heads: int = HEADS
) -> Ensemble:
    """``first[i]`` beat ``second[i]``; each head is fitted on a bootstrap resample of the labels."""
    rng = np.random.default_rng(seed)
    n = len(first)
    rows = []
    for _ in range(heads):
        draw = rng.integers(0, n, n)
        d, w = first[draw] - second[draw], weight[draw]
        # Both orders, so the head has no reason to favour either side of the screen.
        rows.append(
            _head(np.vstack([d, -d]), np.concatenate([np.ones(n), np.zeros(n)]), np.concatenate([w, w]))
        )
    return Ensemble(np.vstack(rows))


def to_json(ensemble: Ensemble) -> dict[str, Any]:
    return {"kind": "bt-ensemble", "weights": ensemble.weights.tolist()}


def from_json(data: dict[str, Any]) -> Ensemble:
    return Ensemble(np.asarray(data["weights"], dtype=np.float64))


def _interval(correct: FloatArray, rng: np.random.Generator) -> tuple[float, float]:
    if len(correct) == 0:
        return float("nan"), float("nan")
    draws = rng.integers(0, len(correct), (N_BOOT, len(correct)))
    means = correct[draws].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def accuracy(correct: FloatArray, *, seed: int) -> dict[str, Any]:
    """Share correct with its 95% percentile-bootstrap interval."""
    low, high = _interval(correct, np.random.default_rng(seed))
    return {
        "n": len(correct),
        "accuracy": float(correct.mean()) if len(correct) else None,
        "low": low if len(correct) else None,
        "high": high if len(correct) else None,
    }


def evaluate(
    ensemble: Ensemble,
    first: FloatArray,
    second: FloatArray,
    groups: dict[str, list[str | None]],
    *,
    seed: int,
    bins: int = 5,
) -> dict[str, Any]:
    """Held-out accuracy (first is the consensus winner) with an interval, accuracy within each group of
    each grouping (e.g. by strength, by arm) and calibration (predicted vs observed per confidence bin)."""
    scores = ensemble.predict(first, second)
    correct = (scores.mean_p > 0.5).astype(np.float64)
    report: dict[str, Any] = {"overall": accuracy(correct, seed=seed)}
    for name, values in groups.items():
        report[name] = {
            str(value): accuracy(correct[[v == value for v in values]], seed=seed)
            for value in sorted({v for v in values}, key=str)
        }
    confidence = np.maximum(scores.mean_p, 1 - scores.mean_p)
    edges = np.linspace(0.5, 1.0, bins + 1)
    table = []
    for low, high in itertools.pairwise(edges):
        inside = (confidence >= low) & ((confidence < high) | (high == 1.0))
        if inside.any():
            table.append(
                {
                    "low": float(low),
                    "high": float(high),
                    "n": int(inside.sum()),
                    "predicted": float(confidence[inside].mean()),
                    "observed": float(correct[inside].mean()),
                }
            )
    report["calibration"] = table
    return report


def select(
    strategy: str,
    scores: Scores,
    prompt_vecs: FloatArray,
    k: int,
    control_share: float,
    rng: np.random.Generator,
    *,
    wrong: NDArray[np.bool_] | None = None,
) -> tuple[list[int], list[int]]:
    """``k`` indexes of the pool: ``round(k * control_share)`` drawn uniformly at random (the control arm,
    from what the strategy left) and the rest chosen by ``strategy``, best first."""
    n = len(scores.mean_p)
    k = min(k, n)
    n_control = round(k * control_share)
    n_active = k - n_control
    chosen = _choose(strategy, scores, prompt_vecs, n_active, rng, wrong)
    rest = np.setdiff1d(np.arange(n), np.asarray(chosen, dtype=np.int64))
    control = [int(i) for i in rng.choice(rest, size=min(n_control, len(rest)), replace=False)]
    return chosen, control


def _choose(
    strategy: str,
    scores: Scores,
    vecs: FloatArray,
    k: int,
    rng: np.random.Generator,
    wrong: NDArray[np.bool_] | None,
) -> list[int]:
    n = len(scores.mean_p)
    if k <= 0:
        return []
    if strategy == "random":
        return [int(i) for i in rng.choice(n, size=k, replace=False)]
    if strategy == "uncertainty":
        return [int(i) for i in np.argsort(-scores.mutual_information, kind="stable")[:k]]
    if strategy == "margin":
        return [int(i) for i in np.argsort(scores.margin, kind="stable")[:k]]
    if strategy == "convincing_wrong":
        # High reward on a known-wrong answer first; without answer checks, the most confident pairs.
        key = scores.margin + (2.0 if wrong is None else 2.0 * wrong.astype(np.float64))
        return [int(i) for i in np.argsort(-key, kind="stable")[:k]]
    if strategy in ("diversity", "hybrid"):
        return _greedy(scores.mutual_information if strategy == "hybrid" else None, vecs, k)
    raise ValueError(f"unknown strategy {strategy!r}")


def _greedy(value: FloatArray | None, vecs: FloatArray, k: int) -> list[int]:
    """k-center greedy over prompt embeddings; with ``value``, each pick trades it against closeness to
    what was already picked (uncertainty with a diversity penalty)."""
    n = len(vecs)
    first = int(np.argmax(value)) if value is not None else 0
    picked = [first]
    distance = np.linalg.norm(vecs - vecs[first], axis=1)
    scale = float(value.max() - value.min()) or 1.0 if value is not None else 1.0
    while len(picked) < k:
        gain = distance if value is None else value / scale + distance
        gain[picked] = -np.inf
        nxt = int(np.argmax(gain))
        picked.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(vecs - vecs[nxt], axis=1))
    return picked[:n]


def least_sure_pair(ensemble: Ensemble, responses: FloatArray) -> tuple[int, int]:
    """Of K responses to one prompt, the pair whose preference the ensemble is least sure of."""
    best, pair = -np.inf, (0, 1)
    for i in range(len(responses)):
        for j in range(i + 1, len(responses)):
            mi = float(ensemble.predict(responses[i : i + 1], responses[j : j + 1]).mutual_information[0])
            if mi > best:
                best, pair = mi, (i, j)
    return pair
