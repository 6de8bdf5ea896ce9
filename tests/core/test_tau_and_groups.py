"""The vectorised Kendall tau against scipy, and Bradley-Terry intervals that resample groups of comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from quorum.core.aggregation import bradley_terry
from quorum.core.agreement import mean_kendall_tau, pair_taus
from quorum.errors import Invalid

nan = np.nan


def test_pair_taus_match_scipy_with_ties_and_gaps() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 4, size=(300, 6)).astype(float)
    y = rng.integers(1, 4, size=(300, 6)).astype(float)
    x[rng.random(x.shape) < 0.15] = nan
    y[rng.random(y.shape) < 0.15] = nan
    ours = pair_taus(x, y)
    for row in range(x.shape[0]):
        common = ~(np.isnan(x[row]) | np.isnan(y[row]))
        a, b = x[row][common], y[row][common]
        if a.size >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
            assert ours[row] == pytest.approx(kendalltau(a, b).statistic)
        else:
            assert np.isnan(ours[row])


def test_pair_taus_by_hand() -> None:
    # (1, 2.5, 2.5) vs (1, 2, 3): 2 concordant pairs, one pair tied in x only: 2 / sqrt(2 * 3).
    assert pair_taus([[1, 2.5, 2.5]], [[1, 2, 3]])[0] == pytest.approx(2 / np.sqrt(6))
    assert np.isnan(pair_taus([[1, 1, 1]], [[1, 2, 3]])[0])


def test_mean_kendall_tau_pools_pairs_over_items() -> None:
    ranks = np.array(
        [
            [[1, 2, 3], [1, 2, 3], [3, 2, 1]],
            [[1, 2.5, 2.5], [1, 2, 3], [nan, nan, nan]],
        ]
    )
    assert mean_kendall_tau(ranks, n_boot=0).value == pytest.approx((1 - 1 - 1 + 2 / np.sqrt(6)) / 4)


def test_bradley_terry_groups_resample_whole_answers() -> None:
    # Three items: 0 beats 1 and 2 in every one of 20 answers, each answer giving 2 comparisons.
    left = np.tile([0, 0, 1], 20)
    right = np.tile([1, 2, 2], 20)
    outcome = np.tile([1.0, 1.0, 0.5], 20)
    groups = np.repeat(np.arange(20), 3)
    plain = bradley_terry(left, right, outcome, 3, n_boot=100, seed=1)
    singles = bradley_terry(left, right, outcome, 3, n_boot=100, seed=1, groups=np.arange(60))
    grouped = bradley_terry(left, right, outcome, 3, n_boot=100, seed=1, groups=groups)
    np.testing.assert_allclose(plain.scores, grouped.scores)
    # One group per comparison is the plain bootstrap, draw for draw.
    np.testing.assert_allclose(plain.ci_low, singles.ci_low)
    np.testing.assert_allclose(plain.ci_high, singles.ci_high)
    # Every answer is identical, so resampling answers cannot move the estimate at all.
    np.testing.assert_allclose(grouped.ci_low, grouped.scores, atol=1e-4)
    np.testing.assert_allclose(grouped.ci_high, grouped.scores, atol=1e-4)
    assert plain.ci_high[0] - plain.ci_low[0] > 0.1
    with pytest.raises(Invalid, match="groups"):
        bradley_terry(left, right, outcome, 3, groups=[0, 1])
