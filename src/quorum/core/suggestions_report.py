"""The measurements of suggestions (pure NumPy): what showing a model's answer does to the labels.

Input, one row per judgment made under the randomised control (``core/assistance.py``): its item, its
annotator, its arm (shown or blind), whether it was a probe (a known-wrong suggestion on a gold item),
whether its answer agrees with the suggestion (for a shown one: the one shown; for a blind one: the item's
current suggestion, which it would have been shown), its gold score (NaN off gold) and its time.

The **anchoring effect** is P(agree | shown) - P(agree | blind), probes left out of the shown arm. Under
the planted model of the simulator, an annotator who takes a shown suggestion with probability q
regardless of truth and otherwise answers as usual has P(agree | shown) = q + (1 - q)·P(agree | blind),
so the effect is q·(1 - P(agree | blind)) and ``tendency`` = effect / (1 - P(agree | blind)) estimates q
itself. Intervals are percentile bootstraps over items (a resample draws whole items with all their
judgments, both arms), so judgments of one item are not taken as independent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quorum.core.bootstrap import FloatArray, draw_weights, percentile_interval

# An accepted suggestion submitted faster than this (ms) counts as a fast accept: read, not checked.
FAST_ACCEPT_MS = 2000


@dataclass(frozen=True)
class Judgments:
    item: NDArray[np.int64]
    annotator: NDArray[np.int64]
    shown: NDArray[np.bool_]
    probe: NDArray[np.bool_]
    agree: NDArray[np.bool_]
    gold_score: FloatArray
    time_ms: FloatArray


def _interval(value: float, draws: FloatArray, confidence: float) -> dict[str, float | None]:
    if not np.isfinite(value):
        return {"value": None, "low": None, "high": None}
    if draws.size == 0:
        return {"value": value, "low": None, "high": None}
    low, high = percentile_interval(draws, confidence)
    lo, hi = float(low), float(high)
    return {"value": value, "low": lo if np.isfinite(lo) else None, "high": hi if np.isfinite(hi) else None}


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def _per_item(j: Judgments, mask: NDArray[np.bool_], values: FloatArray, n_items: int) -> FloatArray:
    """Per-item sums of ``values`` and counts over the rows in ``mask``: (n_items, 2)."""
    out = np.zeros((n_items, 2))
    np.add.at(out[:, 0], j.item[mask], values[mask])
    np.add.at(out[:, 1], j.item[mask], 1.0)
    return out


def measure(
    j: Judgments,
    usernames: list[str],
    *,
    flag_threshold: float | None,
    fast_ms: float = FAST_ACCEPT_MS,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    n_items = int(j.item.max()) + 1 if j.item.size else 0
    main_shown = j.shown & ~j.probe
    blind = ~j.shown
    agree = j.agree.astype(np.float64)
    gold = np.isfinite(j.gold_score)
    # Per item: [agree sum, n] shown, [agree sum, n] blind, [gold score sum, n] shown, the same blind.
    columns = np.hstack(
        [
            _per_item(j, main_shown, agree, n_items),
            _per_item(j, blind, agree, n_items),
            _per_item(j, main_shown & gold, np.nan_to_num(j.gold_score), n_items),
            _per_item(j, blind & gold, np.nan_to_num(j.gold_score), n_items),
        ]
    )

    def stats(sums: FloatArray) -> FloatArray:
        """(draws, 8) sums -> (draws, 5): agree shown, agree blind, effect, tendency, gold shown, gold blind."""
        shown_rate = _ratio(sums[:, 0], sums[:, 1])
        blind_rate = _ratio(sums[:, 2], sums[:, 3])
        effect = shown_rate - blind_rate
        tendency = _ratio(effect, 1.0 - blind_rate)
        return np.stack(
            [
                shown_rate,
                blind_rate,
                effect,
                tendency,
                _ratio(sums[:, 4], sums[:, 5]),
                _ratio(sums[:, 6], sums[:, 7]),
            ],
            axis=1,
        )

    point = stats(columns.sum(axis=0, keepdims=True))[0]
    if n_boot > 0 and n_items > 0:
        with np.errstate(invalid="ignore"):
            draws = np.concatenate([stats(w @ columns) for w in draw_weights(n_items, n_boot, seed, width=8)])
    else:
        draws = np.empty((0, 6))

    def est(k: int) -> dict[str, float | None]:
        return _interval(float(point[k]), draws[:, k] if draws.size else draws, confidence)

    return {
        "judgments": {
            "shown": int(main_shown.sum()),
            "blind": int(blind.sum()),
            "probes": int((j.shown & j.probe).sum()),
        },
        "acceptance_rate": None if not main_shown.any() else float(agree[main_shown].mean()),
        "agreement_with_suggestion": {"shown": est(0), "blind": est(1)},
        "anchoring_effect": est(2),
        "anchoring_tendency": est(3),
        "gold_accuracy": {"shown": est(4), "blind": est(5)},
        "time_per_item_ms": {
            "shown": _median(j.time_ms[main_shown]),
            "blind": _median(j.time_ms[blind]),
        },
        "fast_accept_ms": fast_ms,
        "annotators": _annotators(j, usernames, flag_threshold, fast_ms),
    }


def _median(values: FloatArray) -> float | None:
    return float(np.median(values)) if values.size else None


def _annotators(
    j: Judgments, usernames: list[str], flag_threshold: float | None, fast_ms: float
) -> list[dict[str, Any]]:
    n = len(usernames)
    probes = j.shown & j.probe
    shown = j.shown & ~j.probe

    def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(j.annotator[mask], minlength=n)

    probe_shown, probe_accepted = count(probes), count(probes & j.agree)
    shown_n, accepted = count(shown), count(shown & j.agree)
    fast = count(j.shown & j.agree & (j.time_ms < fast_ms))
    out = []
    for a, name in enumerate(usernames):
        rate = float(probe_accepted[a] / probe_shown[a]) if probe_shown[a] else None
        out.append(
            {
                "username": name,
                "shown": int(shown_n[a]),
                "accepted": int(accepted[a]),
                "acceptance_rate": float(accepted[a] / shown_n[a]) if shown_n[a] else None,
                "probe_shown": int(probe_shown[a]),
                "probe_accepted": int(probe_accepted[a]),
                "probe_acceptance_rate": rate,
                "fast_accepts": int(fast[a]),
                "flagged": bool(flag_threshold is not None and rate is not None and rate > flag_threshold),
            }
        )
    return out
