"""A smoke run of benchmarks/active.py on 150 synthetic pairs with a planted preference (the real replay
embeds 2,307 hh-rlhf pairs and runs for minutes: `make bench`)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def active():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("active")
    finally:
        sys.path.remove(str(BENCH))


def fake_vectors(n: int, dim: int, seed: int) -> dict[str, np.ndarray]:
    """Unit vectors where the chosen reply leans along a planted direction."""
    rng = np.random.default_rng(seed)
    direction = np.eye(dim)[0]
    vecs = {}
    for name, shift in (("prompt", 0.0), ("chosen", 1.5), ("rejected", 0.0)):
        v = rng.normal(size=(n, dim)) + shift * direction
        vecs[name] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return vecs


def test_smoke_run_reports_every_strategy(active, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = active.simulate(fake_vectors(150, 4, 0), seeds=2, start=20, batch=20, budget=80, noise=0.1, l2=1.0)
    assert sim["labels"] == [20, 40, 60, 80]
    assert set(sim["curves"]) == set(active.STRATEGIES)
    for curve in sim["curves"].values():
        assert len(curve["mean"]) == 4
        assert all(
            lo <= m <= hi for lo, m, hi in zip(curve["low"], curve["mean"], curve["high"], strict=True)
        )
    assert sim["efficiency"]["random"]["efficiency"] == pytest.approx(1.0)
    # The planted preference is learnt: far above chance with every pool label.
    assert sim["all_labels"]["accuracy"] > 0.75
    assert sim["five_fold_accuracy"] > 0.75
    # What main() writes is strict JSON.
    json.loads(json.dumps(active._finite(sim), allow_nan=False))


def test_labels_to_reach_interpolates_and_says_never(active) -> None:  # type: ignore[no-untyped-def]
    labels = np.array([50, 100, 150])
    assert active.labels_to_reach(labels, np.array([0.5, 0.6, 0.7]), 0.65) == pytest.approx(125)
    assert active.labels_to_reach(labels, np.array([0.7, 0.6, 0.7]), 0.65) == 50
    assert active.labels_to_reach(labels, np.array([0.5, 0.55, 0.6]), 0.65) == float("inf")
