"""Nonparametric bootstrap over units (items, comparisons), vectorised over draws.

A resample is represented by a weight per unit (how many times it was drawn), so a statistic that is
a function of weighted per-unit sums is evaluated for a whole block of draws with one matrix
product instead of a Python loop over draws.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Upper bound on the entries of one block of weights (draws x units), about 32 MB of float64.
_BLOCK_ENTRIES = 4_000_000

# A statistic maps weights (draws x units) to one value per draw.
Statistic = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile bootstrap interval (NaN bounds when ``n_boot`` is 0)."""

    value: float
    ci_low: float
    ci_high: float
    n_boot: int
    confidence: float

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)


def draw_weights(n_units: int, n_boot: int, seed: int, width: int | None = None) -> Iterator[FloatArray]:
    """Yield blocks of resampling weights, ``n_boot`` rows in all, each row summing to ``n_units``.

    ``width`` is the per-draw working size of the caller (defaults to ``n_units``) and only sets the
    block size, to bound memory. The draws depend on ``seed`` alone.
    """
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK_ENTRIES // max(width or n_units, n_units, 1))
    done = 0
    while done < n_boot:
        block = min(per_block, n_boot - done)
        picks = rng.integers(0, n_units, size=(block, n_units))
        offsets = (np.arange(block) * n_units)[:, None]
        counts = np.bincount((picks + offsets).ravel(), minlength=block * n_units)
        yield counts.reshape(block, n_units).astype(np.float64)
        done += block


def percentile_interval(draws: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval along axis 0, ignoring draws where the statistic was undefined (NaN)."""
    tail = 100.0 * (1.0 - confidence) / 2.0
    columns = draws.reshape(draws.shape[0], -1)
    low = np.full(columns.shape[1], np.nan)
    high = np.full(columns.shape[1], np.nan)
    # np.nanpercentile loops over columns in Python; keep it for the columns that need it.
    gaps = np.isnan(columns).any(axis=0)
    if columns.shape[0] and not gaps.all():
        low[~gaps], high[~gaps] = np.percentile(columns[:, ~gaps], [tail, 100.0 - tail], axis=0)
    if columns.shape[0] and gaps.any():
        with warnings.catch_warnings():
            # A column that is NaN in every draw (e.g. an item never compared) is expected.
            warnings.simplefilter("ignore", RuntimeWarning)
            low[gaps], high[gaps] = np.nanpercentile(columns[:, gaps], [tail, 100.0 - tail], axis=0)
    shape = draws.shape[1:]
    return np.asarray(low.reshape(shape), dtype=np.float64), np.asarray(high.reshape(shape), dtype=np.float64)


def bootstrap(
    statistic: Statistic, n_units: int, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Point estimate (all weights 1) and percentile interval of ``statistic`` over resampled units."""
    value = float(statistic(np.ones((1, n_units)))[0])
    if n_boot <= 0 or n_units == 0:
        return Estimate(value, float("nan"), float("nan"), 0, confidence)
    draws = np.concatenate([statistic(weights) for weights in draw_weights(n_units, n_boot, seed)])
    low, high = percentile_interval(draws, confidence)
    return Estimate(value, float(low), float(high), n_boot, confidence)
