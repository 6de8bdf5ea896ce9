"""The result every aggregation method returns, and the small steps they all share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.errors import Invalid

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AggregationResult:
    """Per-task consensus and per-worker quality estimates.

    - ``labels[t]``: chosen label code, ``-1`` for a task with no answers.
    - ``confidence[t]``: probability of the chosen label under the method (majority vote: its vote
      share); ``0.0`` for a task with no answers.
    - ``probabilities[t, k]``: the full distribution over label codes (rows sum to 1, zeros when the
      task has no answers).
    - ``worker_accuracy[w]``: expected share of the worker's answers that are correct, i.e. the mean
      over their answers of ``probabilities[task, answer]`` (majority vote: share of answers equal to
      the chosen label); ``NaN`` for a worker with no answers. One definition for every method, so
      the numbers are comparable across methods.
    - ``confusion``: Dawid-Skene only, ``confusion[w, true, answered]`` = P(answer | true label).
    - ``params``: method-specific estimates: ``priors`` (class priors; majority vote: answer shares,
      Dawid-Skene: fitted), GLAD ``ability`` (per worker) and ``inverse_difficulty`` (per task),
      MACE ``competence`` (P(worker knows the answer)) and ``strategy`` (their spamming
      distribution over labels).
    """

    method: str
    labels: IntArray
    confidence: FloatArray
    probabilities: FloatArray
    worker_accuracy: FloatArray
    worker_answers: IntArray
    n_iter: int = 0
    converged: bool = True
    confusion: FloatArray | None = None
    params: Mapping[str, FloatArray] = field(default_factory=dict)


@dataclass(frozen=True)
class Answers:
    """Validated integer-coded answers shared by the methods."""

    tasks: IntArray
    workers: IntArray
    labels: IntArray
    n_tasks: int
    n_workers: int
    n_labels: int

    @property
    def size(self) -> int:
        return int(self.tasks.size)


def check_answers(
    tasks: ArrayLike, workers: ArrayLike, labels: ArrayLike, n_tasks: int, n_workers: int, n_labels: int
) -> Answers:
    """Coerce to int64 and check shapes and code ranges once, so the methods can index freely."""
    arrays = [np.asarray(a, dtype=np.int64) for a in (tasks, workers, labels)]
    names = ("tasks", "workers", "labels")
    limits = (n_tasks, n_workers, n_labels)
    if any(a.ndim != 1 for a in arrays) or len({a.size for a in arrays}) != 1:
        raise Invalid("tasks, workers and labels must be 1-D arrays of the same length")
    for name, array, limit in zip(names, arrays, limits, strict=True):
        if array.size and (array.min() < 0 or array.max() >= limit):
            raise Invalid(f"{name} codes must lie in [0, {limit})", details=[{"field": name}])
    return Answers(arrays[0], arrays[1], arrays[2], n_tasks, n_workers, n_labels)


def answered(data: Answers) -> NDArray[np.bool_]:
    return np.bincount(data.tasks, minlength=data.n_tasks) > 0


def normalise_log(log_scores: FloatArray) -> tuple[FloatArray, float]:
    """Row-wise softmax of log scores and the summed log normaliser (the data log-likelihood)."""
    top = log_scores.max(axis=1, keepdims=True)
    scaled = np.exp(log_scores - top)
    totals = scaled.sum(axis=1, keepdims=True)
    log_likelihood = float(np.sum(np.log(totals) + top))
    return scaled / totals, log_likelihood


def label_counts(data: Answers, weights: FloatArray | None = None) -> FloatArray:
    """``counts[t, k]``: (weighted) number of answers ``k`` on task ``t``."""
    flat = np.bincount(
        data.tasks * data.n_labels + data.labels, weights=weights, minlength=data.n_tasks * data.n_labels
    )
    return flat.reshape(data.n_tasks, data.n_labels).astype(np.float64)


def worker_agreement(data: Answers, probabilities: FloatArray) -> tuple[FloatArray, IntArray]:
    """Mean over each worker's answers of P(true label = their answer), and their answer counts."""
    n_answers = np.bincount(data.workers, minlength=data.n_workers)
    hits = np.bincount(data.workers, weights=probabilities[data.tasks, data.labels], minlength=data.n_workers)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(n_answers > 0, hits / np.maximum(n_answers, 1), np.nan)
    return accuracy.astype(np.float64), n_answers.astype(np.int64)


def build_result(
    method: str,
    data: Answers,
    probabilities: FloatArray,
    *,
    n_iter: int = 0,
    converged: bool = True,
    confusion: FloatArray | None = None,
    params: Mapping[str, FloatArray] | None = None,
    labels: IntArray | None = None,
) -> AggregationResult:
    """Assemble the result. Unless ``labels`` is given, each task takes its most probable label, ties
    in probability going to the smallest label code. Unanswered tasks get label -1 and zeros."""
    has_answers = answered(data)
    probabilities = np.where(has_answers[:, None], probabilities, 0.0)
    if data.n_labels == 0:
        chosen = np.full(data.n_tasks, -1, dtype=np.int64)
    else:
        chosen = probabilities.argmax(axis=1) if labels is None else labels
        chosen = np.where(has_answers, chosen, -1).astype(np.int64)
    rows = np.arange(data.n_tasks)
    has_label = chosen >= 0
    confidence = np.zeros(data.n_tasks)
    confidence[has_label] = probabilities[rows[has_label], chosen[has_label]]
    # Majority vote has no posterior: a worker's accuracy is agreement with the chosen labels.
    scoring = probabilities
    if labels is not None:
        scoring = np.zeros_like(probabilities)
        scoring[rows[has_answers], chosen[has_answers]] = 1.0
    accuracy, n_answers = worker_agreement(data, scoring)
    return AggregationResult(
        method=method,
        labels=chosen,
        confidence=confidence.astype(np.float64),
        probabilities=probabilities,
        worker_accuracy=accuracy,
        worker_answers=n_answers,
        n_iter=n_iter,
        converged=converged,
        confusion=confusion,
        params=dict(params or {}),
    )
