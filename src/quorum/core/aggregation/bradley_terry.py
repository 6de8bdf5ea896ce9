"""Bradley-Terry scores from pairwise outcomes (candidates of an item, or models), with bootstrap
intervals.

P(i beats j) = p_i / (p_i + p_j), score = log p. Fitted with Hunter's MM algorithm (Ann. Statist.
32(1), 2004), which increases the likelihood at every step and needs no step size. A tie counts as
half a win for each side. ``prior`` adds that many tied comparisons between every item and a fixed
reference of strength 1: without it an item that never won (or never lost) has no finite maximum-
likelihood score, and items in separate comparison graphs would have no common scale. The default,
one such tie per item, barely moves items with many comparisons and keeps a candidate that won its
only two comparisons from being declared infinitely better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from quorum.core.bootstrap import draw_weights, percentile_interval
from quorum.errors import Invalid

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BradleyTerryResult:
    """``scores[i]`` is item i's log-strength, centred to mean 0 over the compared items (items with
    no comparison get NaN); ``ci_low``/``ci_high`` are percentile bootstrap bounds over resampled
    comparisons (NaN when ``n_boot`` is 0); ``wins`` counts ties as half."""

    scores: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    wins: FloatArray
    n_comparisons: NDArray[np.int64]
    n_iter: int
    converged: bool

    def win_probability(self, i: int, j: int) -> float:
        return float(expit(self.scores[i] - self.scores[j]))


def _shift_towards_prior(
    theta: FloatArray, index: NDArray[np.int64], component: NDArray[np.int64], half: FloatArray
) -> FloatArray:
    """One Newton step on a common shift per connected component (of each row) towards the prior's
    optimum. The likelihood ignores such a shift, so only the prior (ties with the reference) pins
    it, and weakly: MM alone would need ~comparisons/prior iterations to get there. The optimum
    solves sum_i sigmoid(theta_i + c) = size / 2, monotone in c."""
    rows, size = theta.shape[0], theta.shape[0] * half.size
    sigma = expit(theta).ravel()
    excess = np.bincount(index, weights=sigma, minlength=size).reshape(rows, -1) - half
    slope = np.bincount(index, weights=sigma * (1.0 - sigma), minlength=size).reshape(rows, -1)
    step = np.clip(-excess / slope, -5.0, 5.0)
    return np.asarray(theta + step[:, component], dtype=np.float64)


@dataclass(frozen=True)
class _Design:
    """Comparisons folded into distinct item pairs, so each iteration costs O(pairs), not O(rows)."""

    row_wins: sparse.csr_matrix  # rows x items: the share of each comparison each side won
    row_pairs: sparse.csr_matrix  # rows x pairs
    pair_items: sparse.csr_matrix  # pairs x items
    first: NDArray[np.int64]
    second: NDArray[np.int64]
    component: NDArray[np.int64]
    n_components: int

    @classmethod
    def build(
        cls, left: NDArray[np.int64], right: NDArray[np.int64], outcome: FloatArray, n_items: int
    ) -> _Design:
        rows = np.arange(left.size)
        row_wins = sparse.csr_matrix(
            (np.concatenate([outcome, 1.0 - outcome]), (np.tile(rows, 2), np.concatenate([left, right]))),
            shape=(left.size, n_items),
        )
        low, high = np.minimum(left, right), np.maximum(left, right)
        keys, pair_of_row = np.unique(low * n_items + high, return_inverse=True)
        first, second = keys // n_items, keys % n_items
        row_pairs = sparse.csr_matrix((np.ones(left.size), (rows, pair_of_row)), shape=(left.size, keys.size))
        pair_index = np.arange(keys.size)
        pair_items = sparse.csr_matrix(
            (np.ones(2 * keys.size), (np.tile(pair_index, 2), np.concatenate([first, second]))),
            shape=(keys.size, n_items),
        )
        adjacency = sparse.coo_matrix((np.ones(keys.size), (first, second)), shape=(n_items, n_items))
        n_components, component = connected_components(adjacency, directed=False)
        return cls(
            row_wins, row_pairs, pair_items, first, second, component.astype(np.int64), int(n_components)
        )


def _fit(
    design: _Design, weights: FloatArray, start: FloatArray, prior: float, max_iter: int, tol: float
) -> tuple[FloatArray, int, bool]:
    """MM iterations, each followed by a common shift per component, for a batch of comparison
    weightings at once (one row of ``weights`` per bootstrap draw); returns log-strengths."""
    wins = np.asarray(design.row_wins.T @ weights.T).T + prior / 2.0
    counts = np.asarray(design.row_pairs.T @ weights.T).T
    theta = np.repeat(start, weights.shape[0], axis=0)
    index = (np.arange(theta.shape[0])[:, None] * design.n_components + design.component[None, :]).ravel()
    half = np.bincount(design.component, minlength=design.n_components) / 2.0
    for iteration in range(1, max_iter + 1):
        strength = np.exp(theta)
        per_pair = counts / (strength[:, design.first] + strength[:, design.second])
        denominator = np.asarray(design.pair_items.T @ per_pair.T).T + prior / (strength + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            updated = np.log(np.where(denominator > 0, wins / denominator, strength))
        if prior > 0:
            updated = _shift_towards_prior(updated, index, design.component, half)
        with np.errstate(invalid="ignore"):
            change = np.nanmax(np.abs(updated - theta), initial=0.0)
        theta = updated
        if change < tol:
            return theta, iteration, True
    return theta, max_iter, False


def _centre(log_strength: FloatArray, compared: NDArray[np.bool_]) -> FloatArray:
    centred = np.asarray(
        log_strength - log_strength[:, compared].mean(axis=1, keepdims=True), dtype=np.float64
    )
    centred[:, ~compared] = np.nan
    return centred


def bradley_terry(
    left: ArrayLike,
    right: ArrayLike,
    outcome: ArrayLike,
    n_items: int,
    *,
    prior: float = 1.0,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    max_iter: int = 5000,
    tol: float = 1e-9,
    groups: ArrayLike | None = None,
) -> BradleyTerryResult:
    """Fit scores from comparisons ``left[r]`` vs ``right[r]`` with ``outcome[r]`` = 1 (left won),
    0 (right won) or 0.5 (tie); fractional outcomes in between are accepted as soft wins.

    ``groups[r]`` (optional) names the unit comparison r came from, e.g. the answer that ranked
    several candidates at once: the bootstrap then resamples whole groups, since comparisons from
    one answer are not independent. Without it each comparison is its own unit."""
    lefts = np.asarray(left, dtype=np.int64)
    rights = np.asarray(right, dtype=np.int64)
    outcomes = np.asarray(outcome, dtype=np.float64)
    if not (lefts.shape == rights.shape == outcomes.shape) or lefts.ndim != 1:
        raise Invalid("left, right and outcome must be 1-D arrays of the same length")
    if lefts.size and (min(lefts.min(), rights.min()) < 0 or max(lefts.max(), rights.max()) >= n_items):
        raise Invalid(f"item codes must lie in [0, {n_items})")
    if np.any(lefts == rights):
        raise Invalid("an item cannot be compared with itself")
    if np.any(~np.isfinite(outcomes) | (outcomes < 0) | (outcomes > 1)):
        raise Invalid("outcome must be 1 (left wins), 0 (right wins) or 0.5 (tie)")
    if prior < 0:
        raise Invalid("prior must be >= 0")
    if groups is None:
        group_codes, n_groups = np.arange(lefts.size, dtype=np.int64), lefts.size
    else:
        raw_groups = np.asarray(groups)
        if raw_groups.shape != lefts.shape:
            raise Invalid("groups must have one entry per comparison")
        _, group_codes = np.unique(raw_groups, return_inverse=True)
        group_codes = group_codes.astype(np.int64).ravel()
        n_groups = int(group_codes.max()) + 1 if group_codes.size else 0
    design = _Design.build(lefts, rights, outcomes, n_items)
    n_comparisons = np.bincount(np.concatenate([lefts, rights]), minlength=n_items).astype(np.int64)
    compared = n_comparisons > 0
    log_strength, n_iter, converged = _fit(
        design, np.ones((1, lefts.size)), np.zeros((1, n_items)), prior, max_iter, tol
    )
    scores = _centre(log_strength, compared)[0]
    low = np.full(n_items, np.nan)
    high = np.full(n_items, np.nan)
    if n_boot > 0 and lefts.size:
        # Draws start from the point estimate; intervals need far less precision than the estimate.
        width = lefts.size + n_items + design.first.size
        draws = [
            _centre(_fit(design, weights, log_strength, prior, max_iter, max(tol, 1e-6))[0], compared)
            for weights in (
                block[:, group_codes] for block in draw_weights(n_groups, n_boot, seed, width=width)
            )
        ]
        low, high = percentile_interval(np.concatenate(draws, axis=0), confidence)
    wins = np.asarray(design.row_wins.sum(axis=0)).ravel()
    return BradleyTerryResult(
        scores=scores,
        ci_low=low,
        ci_high=high,
        wins=wins,
        n_comparisons=n_comparisons,
        n_iter=n_iter,
        converged=converged,
    )
