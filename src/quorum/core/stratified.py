"""The share of valid items in a batch, estimated from a stratified human sample, with a 95% interval.

Estimator: p = sum_h W_h p_h, with W_h = N_h / N the stratum's share of the batch and p_h the valid share
among its reviewed items (strata nobody reviewed yet are left out and the weights of the others
renormalised; ``coverage`` says how much of the batch that leaves). Interval: Wilson's score interval at
the design's effective sample size n_eff = p(1-p) / Var(p) (Kish), where Var(p) = sum_h W_h^2 p_h(1-p_h) /
n_h * (1 - n_h/N_h) is the stratified variance with the finite-population correction. Wilson keeps the
interval inside [0, 1] and away from zero width when a stratum is all valid or all invalid, which the plain
normal interval does not; with a single stratum it is the ordinary Wilson interval."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class StratumCount:
    size: int
    """N_h: items of this stratum in the batch."""
    reviewed: int
    """n_h: of them, how many have a human verdict."""
    valid: int
    """v_h: of the reviewed, how many were approved (as they were, or edited)."""


@dataclass(frozen=True)
class Estimate:
    share: float | None
    low: float | None
    high: float | None
    reviewed: int
    size: int
    coverage: float
    """The share of the batch in strata with at least one reviewed item."""

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "share": self.share,
            "low": self.low,
            "high": self.high,
            "reviewed": self.reviewed,
            "size": self.size,
            "coverage": self.coverage,
        }


def wilson(share: float, n: float, z: float = Z95) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 1.0
    denom = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denom
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(strata: Mapping[Hashable, StratumCount], z: float = Z95) -> Estimate:
    size = sum(s.size for s in strata.values())
    sampled = [s for s in strata.values() if s.reviewed > 0]
    reviewed = sum(s.reviewed for s in sampled)
    covered = sum(s.size for s in sampled)
    if not sampled or covered == 0:
        return Estimate(None, None, None, reviewed, size, 0.0)
    share = 0.0
    variance = 0.0
    for s in sampled:
        w = s.size / covered
        p = s.valid / s.reviewed
        share += w * p
        fpc = max(0.0, 1 - s.reviewed / s.size) if s.size else 0.0
        variance += w * w * p * (1 - p) / s.reviewed * fpc
    if variance > 0:
        n_eff = share * (1 - share) / variance
    else:
        # Every sampled stratum is all valid or all invalid (or fully reviewed): the raw sample size.
        n_eff = float(reviewed)
        if all(s.reviewed >= s.size for s in sampled):
            return Estimate(share, share, share, reviewed, size, covered / size)
    low, high = wilson(share, n_eff, z)
    return Estimate(share, low, high, reviewed, size, covered / size)


def review_order(strata: Sequence[Hashable], seed: int) -> list[int]:
    """Indices of ``strata`` in the order they should be reviewed: every prefix is a proportional
    stratified sample (each stratum's count within one of its share of the prefix), random within a
    stratum. The first n reviewed are then a stratified random sample of size n."""
    rng = random.Random(seed)
    groups: dict[Hashable, list[int]] = {}
    for i, label in enumerate(strata):
        groups.setdefault(label, []).append(i)
    for members in groups.values():
        rng.shuffle(members)
    total = len(strata)
    taken = dict.fromkeys(groups, 0)
    labels = sorted(groups, key=str)
    order: list[int] = []
    for k in range(1, total + 1):
        # The stratum furthest behind its proportional quota so far (largest-remainder allocation).
        best = max(
            (g for g in labels if taken[g] < len(groups[g])),
            key=lambda g: len(groups[g]) * k / total - taken[g],
        )
        order.append(groups[best][taken[best]])
        taken[best] += 1
    return order


def decide(found: Estimate, bar: float, min_reviewed: int) -> tuple[bool, str]:
    """The release rule: release when enough items were reviewed and the estimate reaches the bar."""
    if found.share is None or found.reviewed < min_reviewed:
        return False, f"{found.reviewed} of the {min_reviewed} reviews the rule needs"
    if found.share < bar:
        return False, f"estimated valid share {found.share:.3f} is under the bar {bar:.2f}"
    lower = "also" if (found.low or 0.0) >= bar else "not"
    return (
        True,
        f"estimated valid share {found.share:.3f} reaches the bar {bar:.2f} (lower bound {lower} above)",
    )
