"""How good a reward model is on held-out comparisons: ``report(ens, diff, y, strength)``.

- ``accuracy`` (the ensemble's mean probability on the side of the human's choice; a tie at exactly 0.5
  counts half) with a percentile bootstrap interval over comparisons (``accuracy_low``/``accuracy_high``);
- ``by_strength``: the same per annotators' strength label (``None`` is reported as ``"unknown"``), the
  split that tells noisy labels (low accuracy on "slightly better") from a weak model (low everywhere);
- ``ece`` (expected calibration error of ``mean_p`` against the outcome "a preferred", equal-width bins)
  and ``reliability``: per non-empty bin its range, ``n``, mean predicted and observed frequency;
- ``log_loss`` and ``n``.
The result is plain JSON (floats, ints, strings, lists, dicts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.core.reward.model import Ensemble
from quorum.errors import Invalid, field_error

FloatArray = NDArray[np.float64]
UNKNOWN = "unknown"


def _correct(mean_p: FloatArray, y: FloatArray) -> FloatArray:
    hit = np.where(y == 1, mean_p > 0.5, mean_p < 0.5).astype(np.float64)
    result: FloatArray = np.where(mean_p == 0.5, 0.5, hit)
    return result


def _bootstrap(correct: FloatArray, n_boot: int, confidence: float, seed: int) -> tuple[float, float]:
    n = correct.shape[0]
    if n == 0 or n_boot == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    # Resample in blocks so 10,000 draws of 5,000 comparisons never hold 50 million indexes at once.
    means: list[FloatArray] = []
    block = max(1, 2_000_000 // n)
    for start in range(0, n_boot, block):
        picks = rng.integers(0, n, size=(min(block, n_boot - start), n))
        means.append(correct[picks].mean(axis=1))
    draws = np.concatenate(means)
    tail = (1 - confidence) / 2
    return (float(np.quantile(draws, tail)), float(np.quantile(draws, 1 - tail)))


def calibration(mean_p: FloatArray, y: FloatArray, bins: int = 10) -> tuple[float, list[dict[str, Any]]]:
    """ECE and the reliability bins of probabilities ``mean_p`` for outcomes ``y`` (1 = a preferred)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(mean_p, edges[1:-1]), 0, bins - 1)
    ece, rows = 0.0, []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if count == 0:
            continue
        predicted, observed = float(mean_p[inside].mean()), float(y[inside].mean())
        ece += count / len(mean_p) * abs(predicted - observed)
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": count,
                "predicted": predicted,
                "observed": observed,
            }
        )
    return ece, rows


def report(
    ens: Ensemble,
    diff: ArrayLike,
    y: ArrayLike,
    strength: Sequence[str | None] | None = None,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    bins: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    labels = np.asarray(y, dtype=np.float64).reshape(-1)
    scores = ens.predict(diff)
    if labels.shape != scores.mean_p.shape or not np.isin(labels, (0.0, 1.0)).all():
        raise Invalid("y must be one 0 or 1 per comparison", [field_error("y", "expected 0/1 per row")])
    if labels.shape[0] == 0:
        raise Invalid("no held-out comparisons to evaluate on", [field_error("labels", "none held out")])
    if strength is not None and len(strength) != labels.shape[0]:
        raise Invalid("strength must have one entry per comparison", [field_error("strength", "length")])
    correct = _correct(scores.mean_p, labels)
    low, high = _bootstrap(correct, n_boot, confidence, seed)
    ece, reliability = calibration(scores.mean_p, labels, bins)
    p_seen = np.clip(np.where(labels == 1, scores.mean_p, 1 - scores.mean_p), 1e-12, 1.0)
    by_strength: dict[str, dict[str, Any]] = {}
    if strength is not None:
        keys = np.array([UNKNOWN if s is None else str(s) for s in strength], dtype=object)
        for key in sorted(set(keys.tolist())):
            inside = keys == key
            slo, shigh = _bootstrap(correct[inside], n_boot, confidence, seed)
            by_strength[key] = {
                "accuracy": float(correct[inside].mean()),
                "accuracy_low": slo,
                "accuracy_high": shigh,
                "n": int(inside.sum()),
            }
    return {
        "n": int(labels.shape[0]),
        "accuracy": float(correct.mean()),
        "accuracy_low": low,
        "accuracy_high": high,
        "confidence": confidence,
        "log_loss": float(-np.log(p_seen).mean()),
        "ece": float(ece),
        "reliability": reliability,
        "by_strength": by_strength,
    }
