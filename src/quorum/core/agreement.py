"""Inter-annotator agreement: Krippendorff's alpha, pairwise percent agreement, Cohen's and Fleiss'
kappa, and mean Kendall's tau for rankings, each with a percentile bootstrap interval over items.

Input is a units x raters reliability matrix with NaN for "not rated" (``reliability_matrix`` builds
it from long ``(item, rater, value)`` rows), or the equivalent long-format ``Ratings``, which avoids
the dense matrix when there are many raters. Nominal values are compared for equality only, so any
numeric codes will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.core.aggregation.encoding import keep_last
from quorum.core.bootstrap import Estimate, Statistic, bootstrap
from quorum.core.krippendorff import LEVELS, Level, alpha_statistic
from quorum.errors import Invalid

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
KappaWeights = Literal["linear", "quadratic"] | None

# Bound on the entries of one block of pairwise comparisons in ``mean_kendall_tau``.
_TAU_BLOCK = 4_000_000

__all__ = [
    "LEVELS",
    "Estimate",
    "Level",
    "Ratings",
    "cohen_kappa",
    "cohen_kappa_from_table",
    "fleiss_kappa",
    "fleiss_kappa_from_counts",
    "krippendorff_alpha",
    "mean_kendall_tau",
    "pair_taus",
    "percent_agreement",
    "reliability_matrix",
]


@dataclass(frozen=True)
class Ratings:
    """Long-format ratings: ``values[i]`` is rater ``raters[i]``'s value for unit ``units[i]``."""

    units: IntArray
    raters: IntArray
    values: FloatArray
    n_units: int
    n_raters: int
    n_duplicates: int = 0

    @classmethod
    def from_codes(
        cls, units: ArrayLike, raters: ArrayLike, values: ArrayLike, n_units: int, n_raters: int
    ) -> Ratings:
        """Drop NaN values and, when a rater rated a unit twice, keep the last value."""
        u, r = np.asarray(units, dtype=np.int64), np.asarray(raters, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        present = ~np.isnan(v)
        u, r, v = u[present], r[present], v[present]
        u, r, order, dropped = keep_last(u, r, np.arange(v.size, dtype=np.int64), n_raters)
        return cls(u, r, v[order], n_units, n_raters, dropped)

    @classmethod
    def from_matrix(cls, matrix: ArrayLike) -> Ratings:
        data = np.asarray(matrix, dtype=np.float64)
        if data.ndim != 2:
            raise Invalid("a reliability matrix must be 2-D: units x raters")
        units, raters = np.nonzero(~np.isnan(data))
        return cls(units.astype(np.int64), raters.astype(np.int64), data[units, raters], *data.shape)

    def matrix(self) -> FloatArray:
        dense = np.full((self.n_units, self.n_raters), np.nan)
        dense[self.units, self.raters] = self.values
        return dense


def reliability_matrix(
    items: Sequence[str], raters: Sequence[str], values: Sequence[float]
) -> tuple[FloatArray, list[str], list[str]]:
    """Units x raters matrix from long rows (last value wins on a repeated pair), with the item and
    rater names for its rows and columns in order of first appearance."""
    item_codes: dict[str, int] = {}
    rater_codes: dict[str, int] = {}
    u = [item_codes.setdefault(item, len(item_codes)) for item in items]
    r = [rater_codes.setdefault(rater, len(rater_codes)) for rater in raters]
    ratings = Ratings.from_codes(u, r, values, len(item_codes), len(rater_codes))
    return ratings.matrix(), list(item_codes), list(rater_codes)


def _as_ratings(data: Ratings | ArrayLike) -> Ratings:
    return data if isinstance(data, Ratings) else Ratings.from_matrix(data)


def _unit_counts(ratings: Ratings) -> tuple[FloatArray, FloatArray]:
    """Category counts per unit that has any value (units x categories) and the category values."""
    categories, codes = np.unique(ratings.values, return_inverse=True)
    _, units = np.unique(ratings.units, return_inverse=True)
    n_rated = int(units.max()) + 1 if units.size else 0
    flat = np.bincount(units * categories.size + codes, minlength=n_rated * categories.size)
    return flat.reshape(n_rated, categories.size).astype(np.float64), categories


def _estimate(statistic: Statistic, n_units: int, n_boot: int, seed: int, confidence: float) -> Estimate:
    return bootstrap(statistic, n_units, n_boot=n_boot, seed=seed, confidence=confidence)


def krippendorff_alpha(
    data: Ratings | ArrayLike,
    level: Level = "nominal",
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Krippendorff's alpha at ``level``; with ``n_boot`` > 0, a percentile interval over ``n_boot``
    resamples of the pairable units. Ratio-level values must be >= 0."""
    ratings = _as_ratings(data)
    if level not in LEVELS:
        raise Invalid(f"level must be one of {', '.join(LEVELS)}", details=[{"field": "level"}])
    if level == "ratio" and np.any(ratings.values < 0):
        raise Invalid("ratio-level values must be non-negative", details=[{"field": "value"}])
    statistic, n_units = alpha_statistic(ratings.units, ratings.values, level)
    return _estimate(statistic, n_units, n_boot, seed, confidence)


def percent_agreement(
    data: Ratings | ArrayLike, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Share of agreeing pairs of ratings within a unit, averaged over units with 2+ ratings."""
    counts, _ = _unit_counts(_as_ratings(data))
    sizes = counts.sum(axis=1)
    counts, sizes = counts[sizes >= 2], sizes[sizes >= 2]
    per_unit = (counts * (counts - 1.0)).sum(axis=1) / (sizes * (sizes - 1.0))

    def statistic(weights: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore"):
            return np.asarray(weights @ per_unit / weights.sum(axis=1), dtype=np.float64)

    return _estimate(statistic, per_unit.size, n_boot, seed, confidence)


def _fleiss_statistic(counts: FloatArray) -> Statistic:
    raters = counts.sum(axis=1)
    if counts.shape[0] == 0 or np.any(raters != raters[0]) or raters[0] < 2:
        raise Invalid("Fleiss' kappa needs the same number (2+) of ratings on every item")
    n = raters[0]
    per_unit = ((counts * counts).sum(axis=1) - n) / (n * (n - 1.0))

    def statistic(weights: FloatArray) -> FloatArray:
        items = weights.sum(axis=1)
        observed = weights @ per_unit / items
        shares = (weights @ counts) / (n * items[:, None])
        chance = (shares * shares).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((observed - chance) / (1.0 - chance), dtype=np.float64)

    return statistic


def fleiss_kappa_from_counts(counts: ArrayLike) -> float:
    """Fleiss' kappa from a subjects x categories table of how many raters chose each category."""
    table = np.asarray(counts, dtype=np.float64)
    return float(_fleiss_statistic(table)(np.ones((1, table.shape[0])))[0])


def fleiss_kappa(
    data: Ratings | ArrayLike, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Fleiss' kappa (nominal); every rated item must have the same number of ratings."""
    counts, _ = _unit_counts(_as_ratings(data))
    return _estimate(_fleiss_statistic(counts), counts.shape[0], n_boot, seed, confidence)


def _disagreement_weights(k: int, weights: KappaWeights) -> FloatArray:
    steps = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    if weights is None:
        return (steps > 0).astype(np.float64)
    if weights == "linear":
        return steps
    if weights == "quadratic":
        return steps * steps
    raise Invalid("weights must be None, 'linear' or 'quadratic'", details=[{"field": "weights"}])


def _kappa(tables: FloatArray, penalty: FloatArray) -> FloatArray:
    """Cohen's kappa for each (draws x k x k) table: 1 - sum(W * observed) / sum(W * chance)."""
    totals = tables.sum(axis=(1, 2))
    chance = np.einsum("bi,bj->bij", tables.sum(axis=2), tables.sum(axis=1)) / totals[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = 1.0 - (tables * penalty).sum(axis=(1, 2)) / (chance * penalty).sum(axis=(1, 2))
    return np.asarray(kappa, dtype=np.float64)


def cohen_kappa_from_table(table: ArrayLike, weights: KappaWeights = None) -> float:
    """Cohen's kappa from a k x k table (rows: first rater, columns: second rater); categories are in
    table order, which the linear and quadratic weights treat as ordered and equally spaced."""
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise Invalid("a contingency table must be square")
    return float(_kappa(counts[None], _disagreement_weights(counts.shape[0], weights))[0])


def cohen_kappa(
    first: ArrayLike,
    second: ArrayLike,
    weights: KappaWeights = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Estimate:
    """Cohen's kappa between two raters' values (NaN = missing; only units both rated count).
    Categories are the sorted distinct values."""
    x, y = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise Invalid("Cohen's kappa needs two 1-D arrays of the same length")
    both = ~(np.isnan(x) | np.isnan(y))
    categories, codes = np.unique(np.concatenate([x[both], y[both]]), return_inverse=True)
    k, n = categories.size, int(both.sum())
    cells = np.zeros((n, k * k))
    cells[np.arange(n), codes[:n] * k + codes[n:]] = 1.0
    penalty = _disagreement_weights(k, weights)

    def statistic(unit_weights: FloatArray) -> FloatArray:
        return _kappa((unit_weights @ cells).reshape(-1, k, k), penalty)

    return _estimate(statistic, n, n_boot, seed, confidence)


def pair_taus(first: ArrayLike, second: ArrayLike) -> FloatArray:
    """Kendall's tau-b between ``first[p]`` and ``second[p]`` for each row p of two (pairs x objects)
    rank arrays, over the objects both ranked (NaN = not ranked); NaN where either ranking is constant
    there (or fewer than 2 objects are common). Vectorised: O(pairs x objects^2) memory."""
    x, y = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    i, j = np.triu_indices(x.shape[1], 1)
    dx, dy = np.sign(x[:, i] - x[:, j]), np.sign(y[:, i] - y[:, j])
    common = ~(np.isnan(dx) | np.isnan(dy))
    dx, dy = np.where(common, dx, 0.0), np.where(common, dy, 0.0)
    untied_x, untied_y = (dx != 0).sum(axis=1), (dy != 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = (dx * dy).sum(axis=1) / np.sqrt(untied_x * untied_y)
    return np.asarray(np.where((untied_x > 0) & (untied_y > 0), tau, np.nan), dtype=np.float64)


def mean_kendall_tau(
    ranks: ArrayLike, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Mean Kendall's tau-b over pairs of raters, from ranks shaped raters x objects (one item) or
    items x raters x objects (pairs are formed within each item; the interval resamples items). NaN
    marks an object a rater did not rank; a pair counts when both ranked 2+ common objects and
    neither ranking is constant there."""
    data = np.asarray(ranks, dtype=np.float64)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3:
        raise Invalid("ranks must be raters x objects or items x raters x objects")
    sums, pairs = np.zeros(data.shape[0]), np.zeros(data.shape[0])
    first, second = np.triu_indices(data.shape[1], 1)
    block = max(1, _TAU_BLOCK // max(first.size * data.shape[2] ** 2, 1))
    for start in range(0, data.shape[0], block):
        chunk = data[start : start + block]
        taus = pair_taus(
            chunk[:, first].reshape(-1, data.shape[2]), chunk[:, second].reshape(-1, data.shape[2])
        ).reshape(chunk.shape[0], first.size)
        defined = ~np.isnan(taus)
        sums[start : start + block] = np.where(defined, taus, 0.0).sum(axis=1)
        pairs[start : start + block] = defined.sum(axis=1)

    def statistic(weights: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray((weights @ sums) / (weights @ pairs), dtype=np.float64)

    return _estimate(statistic, data.shape[0], n_boot, seed, confidence)
