"""The stratified estimator on simulated review outcomes: a planted valid share is recovered, the 95%
interval covers it about 95% of the time, and the release rule holds a batch at 0.6 against a 0.8 bar."""

from __future__ import annotations

import numpy as np
import pytest

from quorum.core.stratified import StratumCount, decide, estimate, review_order, wilson

# Three strata (e.g. method x depth) with different sizes and different valid shares.
SIZES = {"si": 600, "evol-1": 300, "evol-2": 100}


def _draw(rng: np.random.Generator, shares: dict[str, float], n: int) -> dict[str, StratumCount]:
    labels = [s for s, size in SIZES.items() for _ in range(size)]
    valid = np.array([rng.random() < shares[s] for s in labels])
    order = review_order(labels, int(rng.integers(1 << 30)))[:n]
    out = {}
    for s in SIZES:
        picked = [i for i in order if labels[i] == s]
        out[s] = StratumCount(SIZES[s], len(picked), int(valid[picked].sum()))
    return out


def _truth(shares: dict[str, float]) -> float:
    return sum(SIZES[s] * p for s, p in shares.items()) / sum(SIZES.values())


def test_a_planted_share_is_recovered_and_the_interval_covers_it_near_95_percent() -> None:
    rng = np.random.default_rng(12)
    shares = {"si": 0.9, "evol-1": 0.7, "evol-2": 0.4}
    truth = _truth(shares)  # 0.79
    covered, estimates = 0, []
    for _ in range(400):
        found = estimate(_draw(rng, shares, 150))
        assert found.share is not None and found.low is not None and found.high is not None
        estimates.append(found.share)
        covered += found.low <= truth <= found.high
    # The realised share of a finite batch varies around the planted one; both are inside the bounds.
    assert abs(np.mean(estimates) - truth) < 0.015
    assert 0.91 <= covered / 400 <= 0.99


def test_with_no_planted_difference_the_strata_agree_and_a_constant_batch_is_exact() -> None:
    rng = np.random.default_rng(5)
    found = estimate(_draw(rng, dict.fromkeys(SIZES, 0.5), 200))
    assert found.low is not None and found.high is not None and found.low < 0.5 < found.high
    full = {s: StratumCount(size, size, size) for s, size in SIZES.items()}
    assert estimate(full).as_dict()["share"] == pytest.approx(1.0) == estimate(full).low


def test_a_batch_at_0_6_is_held_at_a_0_8_bar_and_one_at_0_9_is_released() -> None:
    rng = np.random.default_rng(7)
    held, why = decide(estimate(_draw(rng, dict.fromkeys(SIZES, 0.6), 100)), 0.8, 30)
    assert not held and "under the bar" in why
    released, why = decide(estimate(_draw(rng, dict.fromkeys(SIZES, 0.95), 100)), 0.8, 30)
    assert released and "reaches the bar" in why
    too_few, why = decide(estimate(_draw(rng, dict.fromkeys(SIZES, 0.95), 10)), 0.8, 30)
    assert not too_few and "reviews the rule needs" in why


def test_review_order_keeps_every_prefix_proportional() -> None:
    labels = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    order = review_order(labels, 1)
    assert sorted(order) == list(range(100))
    for k in (10, 20, 50):
        counts = {s: sum(labels[i] == s for i in order[:k]) for s in "abc"}
        assert all(abs(counts[s] - labels.count(s) * k / 100) <= 1 for s in "abc"), (k, counts)
    assert wilson(0.5, 0) == (0.0, 1.0)
