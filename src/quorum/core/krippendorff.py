"""Krippendorff's alpha at the four levels of measurement, for many bootstrap draws at once.

alpha = 1 - D_o / D_e with D_o from the coincidences within units and D_e from their marginals
(K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011). Each unit's share of the
observed disagreement does not depend on the other units (except at the ordinal level, see below), so
a bootstrap draw, i.e. a weight per unit, costs a matrix product instead of a recount:

    alpha(w) = 1 - (n(w) - 1) * sum_u w_u d_u / sum_{c,k} n_c(w) n_k(w) delta_ck

The ordinal metric depends on the value marginals, which change from draw to draw, but it equals the
interval metric applied to each value's mid-rank ``C_c - n_c / 2`` (C = cumulative count), so it is
evaluated through the same sums with per-draw mid-ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Entries of the ratio metric's value-by-value matrix built at a time (bounds memory).
_BLOCK_ENTRIES = 1_000_000


def _ratio_delta(x: FloatArray, y: FloatArray) -> FloatArray:
    total = x + y
    with np.errstate(divide="ignore", invalid="ignore"):
        # Two zeros are identical values: no disagreement.
        delta = np.where(total == 0, 0.0, ((x - y) / np.where(total == 0, 1.0, total)) ** 2)
    return np.asarray(delta, dtype=np.float64)


def _spread(counts: sparse.csr_matrix | FloatArray, totals: FloatArray, x: FloatArray) -> FloatArray:
    """sum_{c,k} n_c n_k (x_c - x_k)^2 for each row of ``counts``, computed as 2 (n S2 - S1^2)."""
    first = np.asarray(counts @ x).ravel()
    second = np.asarray(counts @ (x * x)).ravel()
    return np.asarray(2.0 * (totals * second - first * first), dtype=np.float64)


def _within_unit_pairs(unit: IntArray) -> tuple[IntArray, IntArray]:
    """All ordered pairs (i, j) of entries that share a unit; ``unit`` must be sorted."""
    sizes = np.bincount(unit)
    starts = np.cumsum(sizes) - sizes
    per_entry = sizes[unit]
    first = np.repeat(np.arange(unit.size), per_entry)
    position = np.arange(first.size) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
    return first, starts[unit][first] + position


class AlphaData:
    """Pairable values of a reliability data set: units with at least two values, as a sparse
    unit-by-value count matrix."""

    def __init__(self, units: IntArray, values: FloatArray) -> None:
        per_unit = np.bincount(units) if units.size else np.zeros(0, dtype=np.int64)
        keep = per_unit[units] >= 2 if units.size else np.zeros(0, dtype=bool)
        kept_units, self.unit_codes = np.unique(units[keep], return_inverse=True)
        self.values, value_codes = np.unique(values[keep], return_inverse=True)
        self.n_units = int(kept_units.size)
        self.counts = sparse.csr_matrix(
            (np.ones(value_codes.size), (self.unit_codes, value_codes)),
            shape=(self.n_units, self.values.size),
        )
        self.counts.sum_duplicates()
        self.sizes = np.asarray(self.counts.sum(axis=1), dtype=np.float64).ravel()

    def marginals(self, weights: FloatArray) -> FloatArray:
        """n_c for each draw: (draws x values)."""
        return np.asarray((self.counts.T @ weights.T).T, dtype=np.float64)

    def unit_disagreement(self, level: Level) -> FloatArray:
        """d_u = sum_{c,k} n_uc n_uk delta_ck / (m_u - 1) for the draw-independent metrics."""
        n, m, x = self.counts, self.sizes, self.values
        if level == "nominal":
            raw = m * m - np.asarray(n.multiply(n).sum(axis=1)).ravel()
        elif level == "interval":
            centred = x - x.mean() if x.size else x
            raw = _spread(n, m, centred)
        else:
            coo = n.tocoo()
            order = np.argsort(coo.row, kind="stable")
            rows, cols, data = coo.row[order], coo.col[order], coo.data[order]
            i, j = _within_unit_pairs(rows.astype(np.int64))
            contributions = data[i] * data[j] * _ratio_delta(x[cols[i]], x[cols[j]])
            raw = np.bincount(rows[i], weights=contributions, minlength=self.n_units)
        return np.asarray(raw / (m - 1.0), dtype=np.float64)

    def expected(self, level: Level, marginals: FloatArray) -> FloatArray:
        """sum_{c,k} n_c n_k delta_ck for each draw (row of ``marginals``)."""
        totals = marginals.sum(axis=1)
        x = self.values
        if level == "nominal":
            return np.asarray(totals * totals - (marginals * marginals).sum(axis=1), dtype=np.float64)
        if level == "interval":
            return _spread(marginals, totals, x - x.mean())
        # The ratio metric does not factor, so this costs draws x values^2: fine for the usual few
        # dozen distinct values, slow for thousands (use the interval level, or round, there).
        result = np.zeros(marginals.shape[0])
        step = max(1, _BLOCK_ENTRIES // max(x.size, 1))
        for start in range(0, x.size, step):
            block = _ratio_delta(x[start : start + step, None], x[None, :])
            result += ((marginals[:, start : start + step] @ block) * marginals).sum(axis=1)
        return result


def _ordinal(data: AlphaData, weights: FloatArray, marginals: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Observed and expected sums for the ordinal metric, via per-draw mid-ranks."""
    totals = marginals.sum(axis=1, keepdims=True)
    ranks = np.cumsum(marginals, axis=1) - marginals / 2.0 - totals / 2.0  # centred: keeps sums small
    first = np.asarray(data.counts @ ranks.T)  # units x draws
    second = np.asarray(data.counts @ (ranks * ranks).T)
    per_unit = 2.0 * (data.sizes[:, None] * second - first * first) / (data.sizes[:, None] - 1.0)
    observed = np.einsum("bu,ub->b", weights, per_unit)
    expected = 2.0 * (
        totals[:, 0] * (marginals * ranks * ranks).sum(axis=1) - (marginals * ranks).sum(axis=1) ** 2
    )
    return observed, expected


def alpha_statistic(
    units: IntArray, values: FloatArray, level: Level
) -> tuple[Callable[[FloatArray], FloatArray], int]:
    """Return (statistic, n_units): ``statistic(weights)`` gives alpha for each row of unit weights
    (weights index the pairable units, i.e. those with two or more values). NaN where undefined:
    no pairable values, or no variation at all."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    data = AlphaData(units, values)
    per_unit = None if level == "ordinal" else data.unit_disagreement(level)

    def statistic(weights: FloatArray) -> FloatArray:
        marginals = data.marginals(weights)
        totals = marginals.sum(axis=1)
        if per_unit is None:
            observed, expected = _ordinal(data, weights, marginals)
        else:
            observed, expected = weights @ per_unit, data.expected(level, marginals)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (totals - 1.0) * observed / expected
        return np.asarray(np.where(expected > 0, alpha, np.nan), dtype=np.float64)

    return statistic, data.n_units
