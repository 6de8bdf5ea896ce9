"""Anchoring on real data: the hh-rlhf harmless-base preferences, with suggestions from a real (cheap) model.

    .venv/bin/python benchmarks/assist_hh.py [--quick]

Half of the 2,312 pairs train the suggester, a logistic head on hashed word counts (the same model
``assist_judges.py`` serves as a judge: no generative model exists on this machine); on the other half it
suggests which response people preferred, so its suggestions are right as often as it really is (about
60%). Simulated annotators answer each pair with the recorded human preference, kept with probability
0.75, and, when shown the suggestion (80% of assignments), take it as it is with the planted tendency q.
The report (``core/suggestions_report.measure``) must recover q (``anchoring_tendency``) and the effect
q * (1 - P(agree | blind)) within its 95% intervals, and find none when q = 0. Rows follow
``assist.py``'s shape (``run(quick) -> list[dict]``), which prints them with the others.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

import numpy as np
from assist_judges import _features, _fit

from quorum.core.suggestions_report import Judgments, measure

KEEP = 0.75
SHARE = 0.8
PER_ITEM = 3
ANNOTATORS = 30
TENDENCIES = (0.0, 0.2, 0.5)


def _pairs(seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]] | None:
    from quorum.providers.recorded_data import find_data, load

    path = find_data()
    if path is None:
        return None
    rows = [r for r in load(path) if r.chosen.strip() and r.rejected.strip() and r.chosen != r.rejected]
    random.Random(seed).shuffle(rows)
    half = len(rows) // 2
    return [(r.chosen, r.rejected) for r in rows[:half]], [(r.chosen, r.rejected) for r in rows[half:]]


def suggester(train: list[tuple[str, str]], seed: int) -> np.ndarray:
    rng = random.Random(seed)
    x, y = [], []
    for chosen, rejected in train:
        swap = rng.random() < 0.5
        a, b = (rejected, chosen) if swap else (chosen, rejected)
        x.append(_features(a) - _features(b))
        y.append(0.0 if swap else 1.0)
    return _fit(np.array(x), np.array(y))


def simulate(test: list[tuple[str, str]], w: np.ndarray, q: float, seed: int) -> tuple[Judgments, float]:
    """Judgments of the test pairs (0 = the first response shown is preferred) and the suggester's accuracy."""
    rng = np.random.default_rng(seed)
    n_items = len(test)
    swap = rng.random(n_items) < 0.5
    truth = swap.astype(np.int64)  # the position of the response people chose
    diff = np.array(
        [_features(r if s else c) - _features(c if s else r) for (c, r), s in zip(test, swap, strict=True)]
    )
    suggestion = (diff @ w < 0).astype(np.int64)
    accuracy = float(np.mean(suggestion == truth))
    item = np.repeat(np.arange(n_items), PER_ITEM)
    n = item.size
    annotator = rng.integers(0, ANNOTATORS, size=n)
    shown = rng.random(n) < SHARE
    own = np.where(rng.random(n) < KEEP, truth[item], 1 - truth[item])
    takes = shown & (rng.random(n) < q)
    answer = np.where(takes, suggestion[item], own)
    j = Judgments(
        item=item.astype(np.int64),
        annotator=annotator.astype(np.int64),
        shown=shown,
        probe=np.zeros(n, dtype=bool),
        agree=answer == suggestion[item],
        gold_score=np.full(n, np.nan),
        time_ms=np.where(takes, rng.uniform(600, 2500, n), rng.uniform(2000, 20000, n)),
    )
    return j, accuracy


def run(quick: bool = False, seed: int = 0) -> list[dict[str, Any]]:
    found = _pairs(seed)
    if found is None:
        return []
    train, test = found
    if quick:
        test = test[:400]
    w = suggester(train, seed)
    names = [f"sim-{a + 1:03d}" for a in range(ANNOTATORS)]
    rows = []
    for q in TENDENCIES:
        j, accuracy = simulate(test, w, q, seed=int(q * 100) + 3)
        report = measure(j, names, flag_threshold=None, n_boot=1000, seed=7)
        effect, tendency = report["anchoring_effect"], report["anchoring_tendency"]
        blind = accuracy * KEEP + (1 - accuracy) * (1 - KEEP)
        planted_effect = q * (1 - blind)
        rows.append(
            {
                "effect": "suggestions on hh-rlhf: anchoring",
                "items": len(test),
                "judgments": int(j.item.size),
                "suggester_accuracy": round(accuracy, 4),
                "planted": q,
                "measured": tendency["value"],
                "low": tendency["low"],
                "high": tendency["high"],
                "covered": tendency["low"] <= q <= tendency["high"],
                "planted_effect": planted_effect,
                "measured_effect": effect["value"],
                "effect_low": effect["low"],
                "effect_high": effect["high"],
                "effect_covered": effect["low"] <= planted_effect <= effect["high"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for row in run(args.quick):
        print(
            f"q={row['planted']:.2f}  tendency {row['measured']:.3f} [{row['low']:.3f}, {row['high']:.3f}]"
            f"  effect {row['measured_effect']:.3f} [{row['effect_low']:.3f}, {row['effect_high']:.3f}]"
            f" (planted {row['planted_effect']:.3f})  suggester accuracy {row['suggester_accuracy']:.3f}"
        )


if __name__ == "__main__":
    main()
