"""Agreement statistics against published values, an independent implementation, and properties."""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau

from ci import oracle
from quorum.core.agreement import (
    LEVELS,
    Level,
    Ratings,
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    fleiss_kappa_from_counts,
    krippendorff_alpha,
    mean_kendall_tau,
    percent_agreement,
    reliability_matrix,
)
from quorum.errors import Invalid

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12 units.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T  # units x raters
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def noisy_ratings(seed: int, n_units: int, n_raters: int, noise: float, missing: float) -> np.ndarray:
    """Raters copy a latent 1..5 value, replaced by a random one with probability ``noise``."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, n_units)
    ratings = np.where(
        rng.random((n_units, n_raters)) < noise, rng.integers(1, 6, (n_units, n_raters)), truth[:, None]
    )
    return np.where(rng.random(ratings.shape) < missing, nan, ratings.astype(float))


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_krippendorff_2011(level: Level) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level, n_boot=0).value == pytest.approx(
        PUBLISHED_ALPHA[level], abs=5e-4
    )


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_the_krippendorff_package(level: Level) -> None:
    krippendorff = oracle("krippendorff")
    for seed in range(3):
        data = noisy_ratings(seed, n_units=60, n_raters=5, noise=0.4, missing=0.3)
        expected = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
        assert krippendorff_alpha(data, level, n_boot=0).value == pytest.approx(expected, abs=1e-10)


def test_fleiss_kappa_wikipedia_example() -> None:
    assert fleiss_kappa_from_counts(FLEISS_TABLE) == pytest.approx(0.210, abs=5e-4)
    # The same data as a units x raters matrix: rater columns are interchangeable for Fleiss.
    matrix = np.array([np.repeat(np.arange(5), row) for row in FLEISS_TABLE], dtype=float)
    assert fleiss_kappa(matrix, n_boot=0).value == pytest.approx(fleiss_kappa_from_counts(FLEISS_TABLE))


def test_fleiss_kappa_needs_a_fixed_number_of_ratings() -> None:
    with pytest.raises(Invalid, match="same number"):
        fleiss_kappa(KRIPPENDORFF_2011)


def test_cohen_kappa_textbook_table() -> None:
    table = [[20, 5], [10, 15]]  # rows: rater A yes/no; columns: rater B yes/no
    assert cohen_kappa_from_table(table) == pytest.approx(0.4)
    first = [1] * 25 + [0] * 25
    second = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(first, second, n_boot=0).value == pytest.approx(0.4)
    # Two categories: linear and quadratic weights reduce to the unweighted kappa.
    assert cohen_kappa_from_table(table, "linear") == pytest.approx(0.4)
    assert cohen_kappa_from_table(table, "quadratic") == pytest.approx(0.4)


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_against_a_direct_computation(weights: Literal["linear", "quadratic"]) -> None:
    table = np.array([[11, 3, 1], [2, 9, 4], [0, 3, 12]], dtype=float)
    n = table.sum()
    observed, expected = 0.0, 0.0
    for i, j in itertools.product(range(3), repeat=2):
        w = abs(i - j) / 2 if weights == "linear" else (abs(i - j) / 2) ** 2
        observed += w * table[i, j] / n
        expected += w * table[i].sum() * table[:, j].sum() / n**2
    assert cohen_kappa_from_table(table, weights) == pytest.approx(1 - observed / expected)


def test_percent_agreement_by_hand() -> None:
    # Unit 1: 3 of 3 pairs agree; unit 2: 1 of 3 (values a, a, b); unit 3 has one value: not pairable.
    data = np.array([[1, 1, 1], [2, 2, 3], [4, nan, nan]])
    assert percent_agreement(data, n_boot=0).value == pytest.approx((1 + 1 / 3) / 2)


def test_mean_kendall_tau() -> None:
    ranks = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1]], dtype=float)
    pairs = [kendalltau(ranks[a], ranks[b]).statistic for a, b in [(0, 1), (0, 2), (1, 2)]]
    assert mean_kendall_tau(ranks, n_boot=0).value == pytest.approx(np.mean(pairs))
    with_missing = np.array([[[1, 2, nan], [2, 1, 3]], [[1, 2, 3], [1, 2, 3]]])
    assert mean_kendall_tau(with_missing, n_boot=0).value == pytest.approx((-1 + 1) / 2)


def test_reliability_matrix_from_long_rows_keeps_the_last_value() -> None:
    matrix, items, raters = reliability_matrix(
        ["q1", "q1", "q2", "q1"], ["ann", "bob", "ann", "ann"], [1.0, 2.0, 3.0, 5.0]
    )
    assert items == ["q1", "q2"] and raters == ["ann", "bob"]
    np.testing.assert_array_equal(matrix, [[5.0, 2.0], [3.0, nan]])
    assert Ratings.from_codes([0, 0, 0], [0, 1, 0], [1, 2, 3], 1, 2).n_duplicates == 1


def test_ratio_level_rejects_negative_values() -> None:
    with pytest.raises(Invalid, match="non-negative"):
        krippendorff_alpha([[1.0, -1.0], [2.0, 2.0]], "ratio")


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    data = noisy_ratings(7, n_units=200, n_raters=4, noise=0.5, missing=0.2)
    first = krippendorff_alpha(data, "interval", n_boot=500, seed=3)
    again = krippendorff_alpha(data, "interval", n_boot=500, seed=3)
    other = krippendorff_alpha(data, "interval", n_boot=500, seed=4)
    assert first == again and first.ci != other.ci
    assert first.ci_low < first.value < first.ci_high
    assert first.ci_high - first.ci_low < 0.25
    assert np.isnan(krippendorff_alpha(data, n_boot=0).ci_low)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=2, max_size=30).filter(lambda v: len(set(v)) > 1),
    st.integers(2, 5),
    st.sampled_from(LEVELS),
)
def test_perfect_agreement_gives_alpha_one(values: list[int], n_raters: int, level: Level) -> None:
    data = np.repeat(np.array(values, dtype=float)[:, None], n_raters, axis=1)
    assert krippendorff_alpha(data, level, n_boot=0).value == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.permutations(range(1, 6)))
def test_nominal_alpha_ignores_how_labels_are_named(seed: int, relabel: list[int]) -> None:
    data = noisy_ratings(seed, n_units=25, n_raters=4, noise=0.5, missing=0.3)
    mapping = np.array([nan, *relabel], dtype=float)
    renamed = np.where(np.isnan(data), nan, mapping[np.nan_to_num(data, nan=0).astype(int)])
    assert krippendorff_alpha(renamed, n_boot=0).value == pytest.approx(
        krippendorff_alpha(data, n_boot=0).value
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(LEVELS))
def test_alpha_ignores_the_order_of_units_and_raters(seed: int, level: Level) -> None:
    data = noisy_ratings(seed, n_units=20, n_raters=4, noise=0.5, missing=0.3)
    rng = np.random.default_rng(seed)
    shuffled = data[rng.permutation(20)][:, rng.permutation(4)]
    assert krippendorff_alpha(shuffled, level, n_boot=0).value == pytest.approx(
        krippendorff_alpha(data, level, n_boot=0).value, nan_ok=True
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 100), st.floats(-50, 50))
def test_interval_alpha_is_invariant_to_affine_rescaling(seed: int, scale: float, shift: float) -> None:
    data = noisy_ratings(seed, n_units=20, n_raters=3, noise=0.5, missing=0.2)
    rescaled = krippendorff_alpha(data * scale + shift, "interval", n_boot=0).value
    assert rescaled == pytest.approx(
        krippendorff_alpha(data, "interval", n_boot=0).value, abs=1e-9, nan_ok=True
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 0.7), st.sampled_from(LEVELS))
def test_confidence_interval_contains_the_estimate(seed: int, noise: float, level: Level) -> None:
    data = noisy_ratings(seed, n_units=80, n_raters=4, noise=noise, missing=0.2)
    estimate = krippendorff_alpha(data, level, n_boot=300, seed=seed)
    assert estimate.ci_low <= estimate.value <= estimate.ci_high
