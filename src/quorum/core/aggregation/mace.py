"""MACE: Multi-Annotator Competence Estimation (Hovy et al., NAACL 2013).

Each worker either knows the answer (probability ``competence``) and gives the true label, or
spams, drawing a label from their own strategy distribution xi_w. The true label is uniform. Fitted
by EM or, by default, variational Bayes with a Beta(0.5, 0.5) prior on knowing/spamming and a
symmetric Dirichlet(10) prior on each strategy, from several random starts; the start with the best
marginal likelihood wins. Defaults follow the paper's tool and crowd-kit (10 starts x 50 iterations).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma

from quorum.core.aggregation.result import (
    AggregationResult,
    Answers,
    FloatArray,
    build_result,
    check_answers,
    label_counts,
    normalise_log,
)

_KNOW_PRIOR = 0.5  # Beta prior on (spam, know), VB only
_STRATEGY_PRIOR = 10.0  # Dirichlet prior on each strategy, VB only


def _e_step(
    data: Answers, spam: FloatArray, know: FloatArray, strategy: FloatArray
) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """Posteriors, log-likelihood and the expected (spam, know) and strategy counts per worker."""
    k = data.n_labels
    by_spam = spam[data.workers] * strategy[data.workers, data.labels]
    by_knowing = know[data.workers]
    log_other = np.log(by_spam)
    log_named = np.log(by_spam + by_knowing)
    log_post = np.bincount(data.tasks, weights=log_other, minlength=data.n_tasks)[:, None] + np.bincount(
        data.tasks * k + data.labels, weights=log_named - log_other, minlength=data.n_tasks * k
    ).reshape(data.n_tasks, k)
    posteriors, log_likelihood = normalise_log(log_post - np.log(k))
    # The worker can only have been "knowing" if the task's true label is the one they gave.
    knew = posteriors[data.tasks, data.labels] * by_knowing / (by_spam + by_knowing)
    spammed = 1.0 - knew
    knowing_counts = np.stack(
        [
            np.bincount(data.workers, weights=spammed, minlength=data.n_workers),
            np.bincount(data.workers, weights=knew, minlength=data.n_workers),
        ],
        axis=1,
    )
    strategy_counts = np.bincount(
        data.workers * k + data.labels, weights=spammed, minlength=data.n_workers * k
    ).reshape(data.n_workers, k)
    return posteriors, log_likelihood, knowing_counts.astype(np.float64), strategy_counts.astype(np.float64)


def _normalise(counts: FloatArray, prior: float, variational: bool) -> FloatArray:
    shifted = counts + prior
    if variational:
        # Mean-field update: exp E[log theta] under the Dirichlet posterior (sums to < 1 by design).
        update = np.exp(digamma(shifted) - digamma(shifted.sum(axis=1, keepdims=True)))
    else:
        update = shifted / shifted.sum(axis=1, keepdims=True)
    return np.asarray(update, dtype=np.float64)


def _random_start(rng: np.random.Generator, n_workers: int, n_labels: int) -> tuple[FloatArray, FloatArray]:
    knowing = rng.uniform(1.0, 2.5, size=(n_workers, 2))
    strategy = rng.uniform(1.0, 2.5, size=(n_workers, n_labels))
    return knowing / knowing.sum(axis=1, keepdims=True), strategy / strategy.sum(axis=1, keepdims=True)


def mace(
    tasks: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
    *,
    method: Literal["vb", "em"] = "vb",
    n_restarts: int = 10,
    max_iter: int = 50,
    tol: float = 1e-7,
    seed: int = 0,
) -> AggregationResult:
    """Fit MACE; ``params["competence"][w]`` is the estimated probability that worker ``w`` knows
    the answer rather than spams. Each start stops early when the log-likelihood changes by less
    than ``tol`` per answer. Deterministic for a given ``seed``."""
    data = check_answers(tasks, workers, labels, n_tasks, n_workers, n_labels)
    counts = label_counts(data)
    if data.size == 0 or n_labels < 2:
        return build_result("mace", data, counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0))
    variational = method == "vb"
    knowing_prior = _KNOW_PRIOR if variational else 0.01 / n_labels
    strategy_prior = _STRATEGY_PRIOR if variational else 0.01 / n_labels
    rng = np.random.default_rng(seed)
    best: tuple[float, FloatArray, FloatArray, int, bool] | None = None
    for _ in range(max(n_restarts, 1)):
        knowing, strategy = _random_start(rng, n_workers, n_labels)
        previous = -np.inf
        converged = False
        iteration = 0
        while iteration < max_iter:
            iteration += 1
            _, log_likelihood, knowing_counts, strategy_counts = _e_step(
                data, knowing[:, 0], knowing[:, 1], strategy
            )
            knowing = _normalise(knowing_counts, knowing_prior, variational)
            strategy = _normalise(strategy_counts, strategy_prior, variational)
            if abs(log_likelihood - previous) / data.size < tol:
                converged = True
                break
            previous = log_likelihood
        _, final_likelihood, _, _ = _e_step(data, knowing[:, 0], knowing[:, 1], strategy)
        if best is None or final_likelihood > best[0]:
            best = (final_likelihood, knowing, strategy, iteration, converged)
    if best is None:
        raise RuntimeError("MACE ran no restart")
    _, knowing, strategy, iteration, converged = best
    posteriors, _, _, _ = _e_step(data, knowing[:, 0], knowing[:, 1], strategy)
    competence = knowing[:, 1] / knowing.sum(axis=1)
    return build_result(
        "mace",
        data,
        posteriors,
        n_iter=iteration,
        converged=converged,
        params={"competence": competence, "strategy": strategy},
    )
