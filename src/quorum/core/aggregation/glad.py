"""GLAD: worker ability and task difficulty (Whitehill et al., NIPS 2009), fitted by EM.

P(answer is right) = sigmoid(alpha_w * beta_t) with ability alpha_w in R and inverse difficulty
beta_t = exp(b_t) > 0; a wrong answer is uniform over the other K-1 labels. The class prior is fixed
and uniform, as in the paper. The M-step maximises the expected complete log-likelihood plus
Gaussian priors N(1, 1) on alpha and on b (crowd-kit's defaults, which keeps results comparable)
by a few alternating Fisher-scoring steps from the previous parameters: generalised EM only needs
each M-step to increase its objective, and these steps cost a few bincounts each where a generic
optimiser over all alpha and b spends most of its time in its own bookkeeping.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from quorum.core.aggregation.result import (
    AggregationResult,
    Answers,
    FloatArray,
    build_result,
    check_answers,
    label_counts,
    normalise_log,
)

_PRIOR_MEAN = 1.0


def _log_sigmoids(data: Answers, alpha: FloatArray, log_beta: FloatArray) -> tuple[FloatArray, ...]:
    """Per answer: a = alpha * beta, log sigmoid(a) and log(1 - sigmoid(a)), from one softplus."""
    scaled = alpha[data.workers] * np.exp(log_beta[data.tasks])
    log_right = np.minimum(scaled, 0.0) - np.log1p(np.exp(-np.abs(scaled)))
    return scaled, log_right, log_right - scaled


def _e_step(data: Answers, alpha: FloatArray, log_beta: FloatArray) -> tuple[FloatArray, float]:
    _, log_right, log_not_right = _log_sigmoids(data, alpha, log_beta)
    k = data.n_labels
    log_wrong = log_not_right - np.log(k - 1)
    # Every answer adds log_wrong to all classes, and (log_right - log_wrong) to the class it names.
    log_post = np.bincount(data.tasks, weights=log_wrong, minlength=data.n_tasks)[:, None]
    log_post = log_post + np.bincount(
        data.tasks * k + data.labels, weights=log_right - log_wrong, minlength=data.n_tasks * k
    ).reshape(data.n_tasks, k)
    return normalise_log(log_post - np.log(k))


def _log_prior(alpha: FloatArray, log_beta: FloatArray) -> float:
    return -0.5 * float(np.sum((alpha - _PRIOR_MEAN) ** 2) + np.sum((log_beta - _PRIOR_MEAN) ** 2))


def _q(data: Answers, p_right: FloatArray, alpha: FloatArray, log_beta: FloatArray) -> float:
    """M-step objective: expected complete log-likelihood (up to a constant) plus log-priors."""
    _, log_right, log_not_right = _log_sigmoids(data, alpha, log_beta)
    fit = float(np.dot(p_right, log_right) + np.dot(1.0 - p_right, log_not_right))
    return fit + _log_prior(alpha, log_beta)


def _scoring_step(
    data: Answers, p_right: FloatArray, alpha: FloatArray, log_beta: FloatArray, block: str
) -> FloatArray:
    """Fisher-scoring step for one block (alpha or b). Given the other block, Q separates into one
    1-D problem per worker (or per task), so the information matrix is diagonal and the step is a
    pair of bincounts. For alpha the Fisher information is the exact negative Hessian."""
    scaled, log_right, _ = _log_sigmoids(data, alpha, log_beta)
    sigma = np.exp(log_right)
    residual, curvature = p_right - sigma, sigma * (1.0 - sigma)
    if block == "alpha":
        beta = np.exp(log_beta)[data.tasks]
        index, size, value, slope = data.workers, data.n_workers, alpha, beta
    else:
        index, size, value, slope = data.tasks, data.n_tasks, log_beta, scaled
    gradient = np.bincount(index, weights=residual * slope, minlength=size) - (value - _PRIOR_MEAN)
    information = np.bincount(index, weights=curvature * slope * slope, minlength=size) + 1.0
    return np.asarray(gradient / information, dtype=np.float64)


def _m_step(
    data: Answers, p_right: FloatArray, alpha: FloatArray, log_beta: FloatArray, rounds: int
) -> tuple[FloatArray, FloatArray]:
    """Alternate scoring steps on alpha and b, halving any step that would lower Q (generalised EM
    only needs Q to increase, not to be maximised)."""
    current = _q(data, p_right, alpha, log_beta)
    for _ in range(rounds):
        for block in ("alpha", "beta"):
            step = _scoring_step(data, p_right, alpha, log_beta, block)
            for _halving in range(20):
                new_alpha = alpha + step if block == "alpha" else alpha
                new_beta = log_beta + step if block == "beta" else log_beta
                candidate = _q(data, p_right, new_alpha, new_beta)
                if candidate >= current:
                    alpha, log_beta, current = new_alpha, new_beta, candidate
                    break
                step = step / 2.0
    return alpha, log_beta


def glad(
    tasks: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
    *,
    max_iter: int = 100,
    tol: float = 1e-5,
    m_step_rounds: int = 3,
) -> AggregationResult:
    """Fit GLAD; ``params`` holds ``ability`` (alpha, per worker) and ``inverse_difficulty`` (beta,
    per task). Stops when the penalised log-likelihood improves by less than ``tol`` per answer."""
    data = check_answers(tasks, workers, labels, n_tasks, n_workers, n_labels)
    counts = label_counts(data)
    if data.size == 0 or n_labels < 2:
        return build_result("glad", data, counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0))
    alpha = np.full(n_workers, _PRIOR_MEAN)
    log_beta = np.full(n_tasks, _PRIOR_MEAN)
    posteriors, log_likelihood = _e_step(data, alpha, log_beta)
    previous = log_likelihood + _log_prior(alpha, log_beta)
    converged = False
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        p_right = posteriors[data.tasks, data.labels]
        alpha, log_beta = _m_step(data, p_right, alpha, log_beta, m_step_rounds)
        posteriors, log_likelihood = _e_step(data, alpha, log_beta)
        objective = log_likelihood + _log_prior(alpha, log_beta)
        if abs(objective - previous) / data.size < tol:
            converged = True
            break
        previous = objective
    return build_result(
        "glad",
        data,
        posteriors,
        n_iter=iteration,
        converged=converged,
        params={"ability": alpha, "inverse_difficulty": np.exp(log_beta)},
    )
