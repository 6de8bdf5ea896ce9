"""Bradley-Terry: closed forms, a direct maximum-likelihood fit, recovery and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_expit
from scipy.stats import spearmanr

from quorum.core.aggregation import bradley_terry
from quorum.errors import Invalid


def simulate(seed: int, n_items: int, n_comparisons: int, tie_rate: float = 0.1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, n_items)
    left = rng.integers(0, n_items, n_comparisons)
    right = (left + rng.integers(1, n_items, n_comparisons)) % n_items
    won = rng.random(n_comparisons) < 1 / (1 + np.exp(strength[right] - strength[left]))
    outcome = np.where(rng.random(n_comparisons) < tie_rate, 0.5, won.astype(float))
    return left, right, outcome, strength


def test_two_items_closed_form() -> None:
    # 7 wins to 3 with no prior: p1 / p2 = 7 / 3.
    result = bradley_terry([0] * 10, [1] * 10, [1.0] * 7 + [0.0] * 3, 2, prior=0.0, n_boot=0)
    assert result.scores[0] - result.scores[1] == pytest.approx(np.log(7 / 3), abs=1e-7)
    assert result.win_probability(0, 1) == pytest.approx(0.7, abs=1e-7)
    np.testing.assert_allclose(result.wins, [7, 3])


def test_ties_count_half() -> None:
    result = bradley_terry([0, 0, 1], [1, 1, 0], [0.5, 1.0, 1.0], 2, prior=0.0, n_boot=0)
    np.testing.assert_allclose(result.wins, [1.5, 1.5])
    assert result.scores[0] == pytest.approx(result.scores[1], abs=1e-7)


@pytest.mark.parametrize("prior", [0.0, 0.1, 2.0])
def test_matches_a_direct_maximum_likelihood_fit(prior: float) -> None:
    left, right, outcome, _ = simulate(1, n_items=8, n_comparisons=400)
    ours = bradley_terry(left, right, outcome, 8, prior=prior, n_boot=0)

    def negative_log_likelihood(theta: np.ndarray) -> float:
        diff = theta[left] - theta[right]
        fit = np.sum(outcome * log_expit(diff) + (1 - outcome) * log_expit(-diff))
        # The prior: `prior` ties against a reference item with score 0.
        anchor = prior * np.sum(0.5 * log_expit(theta) + 0.5 * log_expit(-theta))
        return float(-(fit + anchor))

    direct = minimize(negative_log_likelihood, np.zeros(8), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(ours.scores, direct - direct.mean(), atol=1e-5)


def test_recovers_strengths_with_intervals() -> None:
    left, right, outcome, strength = simulate(2, n_items=12, n_comparisons=3000)
    result = bradley_terry(left, right, outcome, 12, n_boot=300, seed=1)
    assert result.converged
    assert spearmanr(result.scores, strength).statistic > 0.95
    assert np.all(result.ci_low <= result.scores) and np.all(result.scores <= result.ci_high)
    centred = strength - strength.mean()
    assert np.mean((result.ci_low <= centred) & (centred <= result.ci_high)) >= 0.75
    fewer = bradley_terry(left[:300], right[:300], outcome[:300], 12, n_boot=300, seed=1)
    assert np.mean(fewer.ci_high - fewer.ci_low) > 2 * np.mean(result.ci_high - result.ci_low)
    again = bradley_terry(left, right, outcome, 12, n_boot=300, seed=1)
    np.testing.assert_array_equal(again.ci_low, result.ci_low)


def test_prior_keeps_unbeaten_and_winless_items_finite() -> None:
    result = bradley_terry([0, 0, 1], [1, 2, 2], [1.0, 1.0, 1.0], 4, n_boot=50)
    assert np.all(np.isfinite(result.scores[:3])) and np.isnan(result.scores[3])
    assert result.scores[0] > result.scores[1] > result.scores[2]
    assert result.n_comparisons.tolist() == [2, 2, 2, 0]


@pytest.mark.parametrize(
    ("left", "right", "outcome", "message"),
    [
        ([0], [0], [1.0], "itself"),
        ([0], [3], [1.0], "item codes"),
        ([0], [1], [2.0], "outcome"),
        ([0, 1], [1], [1.0], "same length"),
    ],
)
def test_rejects_bad_input(left: list[int], right: list[int], outcome: list[float], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        bradley_terry(left, right, outcome, 2)
