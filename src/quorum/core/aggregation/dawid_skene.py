"""Dawid-Skene: one full confusion matrix per worker, fitted by EM.

A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of Observer Error-Rates Using the EM
Algorithm", Applied Statistics 28(1), 1979.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.core.aggregation.result import (
    AggregationResult,
    Answers,
    FloatArray,
    answered,
    build_result,
    check_answers,
    label_counts,
    normalise_log,
)

# Floor for probabilities before taking logs; the same value crowd-kit uses, so that a worker who
# never gave some answer is not declared certain never to give it.
_EPS = 1e-10


def _m_step(
    data: Answers, posteriors: FloatArray, has_answers: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Class priors and confusion[w, true, answered] from soft task labels."""
    priors = np.clip(posteriors[has_answers].mean(axis=0), _EPS, None)
    priors /= priors.sum()
    cells = data.workers * data.n_labels + data.labels
    size = data.n_workers * data.n_labels
    # One bincount per true class keeps memory at O(answers), never O(answers x classes x classes).
    counts = np.stack(
        [
            np.bincount(cells, weights=posteriors[data.tasks, k], minlength=size).reshape(
                data.n_workers, data.n_labels
            )
            for k in range(data.n_labels)
        ],
        axis=1,
    )
    counts = np.clip(counts, _EPS, None)
    return priors, counts / counts.sum(axis=2, keepdims=True)


def _e_step(data: Answers, priors: FloatArray, confusion: FloatArray) -> tuple[FloatArray, float]:
    """Posterior over each task's true label and the marginal log-likelihood of all answers."""
    per_answer = np.log(confusion)[data.workers, :, data.labels]
    log_post = np.empty((data.n_tasks, data.n_labels))
    for k in range(data.n_labels):
        log_post[:, k] = np.bincount(data.tasks, weights=per_answer[:, k], minlength=data.n_tasks)
    log_post += np.log(priors)[None, :]
    return normalise_log(log_post)


def dawid_skene(
    tasks: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> AggregationResult:
    """Fit Dawid-Skene by EM, starting from majority-vote shares.

    Stops when the marginal log-likelihood of the answers improves by less than ``tol`` per answer
    (EM never decreases it) or after ``max_iter`` iterations. Returns posteriors, the confusion
    matrices ``confusion[w, true, answered]`` and the class ``priors`` in ``params``.
    """
    data = check_answers(tasks, workers, labels, n_tasks, n_workers, n_labels)
    counts = label_counts(data)
    posteriors = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    if data.size == 0 or n_labels < 2:
        return build_result("ds", data, posteriors)
    has_answers = answered(data)
    previous = -np.inf
    converged = False
    iteration = 0
    priors = np.full(n_labels, 1.0 / n_labels)
    confusion = np.empty((n_workers, n_labels, n_labels))
    while iteration < max_iter:
        iteration += 1
        priors, confusion = _m_step(data, posteriors, has_answers)
        posteriors, log_likelihood = _e_step(data, priors, confusion)
        if (log_likelihood - previous) / data.size < tol:
            converged = True
            break
        previous = log_likelihood
    return build_result(
        "ds",
        data,
        posteriors,
        n_iter=iteration,
        converged=converged,
        confusion=confusion,
        params={"priors": priors},
    )
