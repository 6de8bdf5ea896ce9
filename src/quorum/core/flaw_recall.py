"""Annotator recall of planted flaws, with and without a critic's comments, and its difference.

Each judgment of an item with planted flaws is one cluster: ``n_i`` flaws, ``f_i`` of them found (an issue or
a kept comment whose span overlaps the flaw). Recall in an arm is the ratio estimator r = sum f_i / sum n_i,
its variance the cluster-robust (delta-method) one, Var(r) = n/(n-1) * sum (f_i - r n_i)^2 / (sum n_i)^2,
which allows for the flaws of one judgment being found together. The interval is Wilson's at the effective
sample size n_eff = r(1-r)/Var(r) (as ``core/stratified.py``), so it stays inside [0, 1]; the difference
(with minus without) gets the normal interval with the two arms' variances added (the arms are drawn
independently per assignment, ``core/assistance.py``). The share of kept model comments that match no
planted flaw is a plain proportion with Wilson's interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quorum.core.stratified import Z95, wilson


@dataclass(frozen=True)
class Recall:
    value: float | None
    low: float | None
    high: float | None
    variance: float | None
    flaws: int
    judgments: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "flaws": self.flaws,
            "judgments": self.judgments,
        }


def recall(found: Sequence[int] | np.ndarray, flaws: Sequence[int] | np.ndarray) -> Recall:
    """Recall over judgments with ``flaws[i]`` planted flaws of which ``found[i]`` were found."""
    f = np.asarray(found, dtype=float)
    n = np.asarray(flaws, dtype=float)
    keep = n > 0
    f, n = f[keep], n[keep]
    k, total = len(n), float(n.sum())
    if k == 0 or total == 0:
        return Recall(None, None, None, None, 0, 0)
    r = float(f.sum()) / total
    if k == 1:
        return Recall(r, 0.0, 1.0, None, int(total), k)
    resid = f - r * n
    var = float(k / (k - 1) * float(resid @ resid) / (total * total))
    if var > 0:
        low, high = wilson(r, r * (1 - r) / var) if 0 < r < 1 else wilson(r, total)
    else:
        # Every judgment found the same share (all or none): Wilson at the count of flaws.
        low, high = wilson(r, total)
    return Recall(r, low, high, var, int(total), k)


def difference(shown: Recall, blind: Recall) -> dict[str, float | None]:
    """Recall with critiques minus without, with a normal 95% interval."""
    if shown.value is None or blind.value is None:
        return {"value": None, "low": None, "high": None}
    value = shown.value - blind.value
    var = _var(shown) + _var(blind)
    half = Z95 * math.sqrt(var)
    return {"value": value, "low": max(-1.0, value - half), "high": min(1.0, value + half)}


def _var(arm: Recall) -> float:
    if arm.variance is not None and arm.variance > 0:
        return arm.variance
    # Degenerate arm (one judgment, or all alike): the binomial variance at the flaw count, never zero.
    r = arm.value or 0.0
    n = max(arm.flaws, 1)
    return max(r * (1 - r), 0.25 / n) / n


def share(hits: int, total: int) -> dict[str, float | int | None]:
    """A proportion with Wilson's interval (None when there is nothing to count)."""
    if total <= 0:
        return {"value": None, "low": None, "high": None, "n": 0}
    value = hits / total
    low, high = wilson(value, total)
    return {"value": value, "low": low, "high": high, "n": total}
