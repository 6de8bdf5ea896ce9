"""Which unlabelled items humans label next: ``select(strategy, scores, prompt_vecs, k, ...)``.

The pool is the ``n`` unlabelled items, row ``i`` of ``scores`` (a ``ScoreSet``) and of ``prompt_vecs``
(``(n, d)``, e.g. normalised prompt embeddings) describing item ``i``. A batch of ``k`` items (all of
them when the pool is smaller) is split in two:

- the **control arm**: ``round(k * control_share)`` items drawn uniformly without replacement from the
  whole pool *first*, so they are an unbiased sample of it whatever the strategy (the comparison of
  learning curves, active vs random, rests on that);
- the **strategy's** ``k - control`` picks out of the rest, in priority order:
  - ``random``: uniform;
  - ``uncertainty``: largest ensemble disagreement (BALD mutual information; ties by smaller margin);
  - ``margin``: smallest margin ``|2 p - 1|`` (the pairs the mean model finds a coin flip);
  - ``diversity``: k-center greedy over ``prompt_vecs`` (Euclidean): each pick is the item farthest
    from every pick so far and from ``centers`` (e.g. the labelled items' prompts); the first, without
    centers, is drawn from ``rng``;
  - ``hybrid``: uncertainty with a diversity penalty within the batch (the BAL-PM idea): greedy on
    ``u_i - diversity_weight * max cos(prompt_i, prompts picked so far)``, ``u`` the mutual information
    divided by the pool's largest (margin-based when no head disagrees);
  - ``convincing_wrong`` (verifiable tasks, PRM800K's selection): items with a known-wrong final answer
    (``wrong``) by decreasing ``rewards`` (the reward model finds them convincing); when too few are
    wrong, the rest by uncertainty.

``Selection.chosen`` are the strategy's picks, ``Selection.score`` the strategy's score of each (NaN for
``random``), ``Selection.control`` the control arm. Bad settings raise ``quorum.errors.Invalid`` naming
the field (``strategy``, ``control_share``, ``k``, ``prompt_vecs``, ``rewards``, ``wrong``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.core.reward.model import ScoreSet
from quorum.errors import Invalid, field_error

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

STRATEGIES = ("random", "uncertainty", "margin", "diversity", "hybrid", "convincing_wrong")
DEFAULT_CONTROL_SHARE = 0.2


@dataclass(frozen=True)
class Selection:
    strategy: str
    chosen: IntArray
    """Pool indexes the strategy picked, highest priority first."""
    score: FloatArray
    """The strategy's score of each chosen item (NaN for ``random``)."""
    control: IntArray
    """Pool indexes of the random control arm."""

    @property
    def batch(self) -> IntArray:
        """Every selected index: the strategy's picks, then the control arm."""
        return np.concatenate([self.chosen, self.control])


def control_count(k: int, control_share: float) -> int:
    """How many of a batch of ``k`` go to the control arm (half rounds up)."""
    return int(np.floor(k * control_share + 0.5))


def _check(strategy: str, control_share: float, k: int) -> None:
    if strategy not in STRATEGIES:
        raise Invalid(
            f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})",
            [field_error("strategy", f"must be one of {', '.join(STRATEGIES)}")],
        )
    if not 0.0 <= control_share <= 1.0:
        raise Invalid(
            f"control share {control_share} is outside [0, 1]",
            [field_error("control_share", "must be between 0 and 1")],
        )
    if k < 1:
        raise Invalid("a batch needs at least one item", [field_error("k", "must be >= 1")])


def _uncertainty_order(scores: ScoreSet, rest: IntArray) -> IntArray:
    order = np.lexsort((scores.margin[rest], -scores.mutual_information[rest]))
    return rest[order]


def _min_distance(pool: FloatArray, centers: FloatArray) -> FloatArray:
    """Each pool row's Euclidean distance to its nearest center, in blocks (never pool x centers x d)."""
    nearest = np.full(len(pool), np.inf)
    pool_sq = (pool * pool).sum(axis=1)
    for start in range(0, len(centers), 1024):
        block = centers[start : start + 1024]
        sq = pool_sq[:, None] + (block * block).sum(axis=1)[None, :] - 2 * pool @ block.T
        nearest = np.minimum(nearest, np.sqrt(np.maximum(sq, 0.0)).min(axis=1))
    return nearest


def _k_center(
    vecs: FloatArray, rest: IntArray, take: int, centers: FloatArray | None, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    # Squared distances from dot products in float32: one (n, d) product per pick, no (n, d) temporaries.
    pool = vecs[rest].astype(np.float32)
    pool_sq = (pool * pool).sum(axis=1)
    has_centers = centers is not None and len(centers) > 0
    if centers is not None and has_centers:
        nearest = _min_distance(vecs[rest], centers) ** 2
    else:
        nearest = np.full(len(rest), np.inf)
    picks: list[int] = []
    dist: list[float] = []
    for step in range(take):
        if step == 0 and not has_centers:
            j, gap = int(rng.integers(len(rest))), float("nan")
        else:
            j = int(np.argmax(nearest))
            gap = float(np.sqrt(max(nearest[j], 0.0)))
        picks.append(j)
        dist.append(gap)
        to_j = np.maximum(pool_sq + pool_sq[j] - 2 * (pool @ pool[j]), 0.0)
        nearest = np.minimum(nearest, to_j)
        nearest[picks] = -np.inf
    return rest[np.array(picks, dtype=np.int64)], np.array(dist)


def _hybrid(
    scores: ScoreSet, vecs: FloatArray, rest: IntArray, take: int, weight: float
) -> tuple[IntArray, FloatArray]:
    mi = scores.mutual_information[rest]
    u = mi / mi.max() if mi.max() > 0 else 1.0 - scores.margin[rest]
    pool = vecs[rest].astype(np.float32)
    norms = np.linalg.norm(pool, axis=1)
    unit = pool / np.where(norms > 0, norms, 1.0)[:, None]
    similar = np.full(len(rest), -np.inf)
    taken = np.zeros(len(rest), dtype=bool)
    picks: list[int] = []
    values: list[float] = []
    for _ in range(take):
        value = u - weight * np.maximum(similar, 0.0)
        value[taken] = -np.inf
        j = int(np.argmax(value))
        picks.append(j)
        values.append(float(value[j]))
        taken[j] = True
        similar = np.maximum(similar, unit @ unit[j])
    return rest[np.array(picks, dtype=np.int64)], np.array(values)


def _convincing_wrong(
    scores: ScoreSet, rest: IntArray, take: int, rewards: FloatArray, wrong: NDArray[np.bool_]
) -> tuple[IntArray, FloatArray]:
    wrong_rest = rest[wrong[rest]]
    ranked = wrong_rest[np.argsort(-rewards[wrong_rest], kind="stable")][:take]
    if len(ranked) < take:
        others = _uncertainty_order(scores, rest[~wrong[rest]])[: take - len(ranked)]
        ranked = np.concatenate([ranked, others])
    return ranked.astype(np.int64), rewards[ranked].astype(np.float64)


def _verifiable(
    rewards: ArrayLike | None, wrong: ArrayLike | None, n: int
) -> tuple[FloatArray, NDArray[np.bool_]]:
    if rewards is None or wrong is None:
        missing = "rewards" if rewards is None else "wrong"
        raise Invalid(
            "convincing_wrong needs each item's reward and whether its answer is wrong",
            [field_error(missing, "required by convincing_wrong")],
        )
    reward_arr = np.asarray(rewards, dtype=np.float64).reshape(-1)
    wrong_arr = np.asarray(wrong, dtype=bool).reshape(-1)
    for field, arr in (("rewards", reward_arr), ("wrong", wrong_arr)):
        if arr.shape != (n,):
            raise Invalid(f"{field} must have one entry per item", [field_error(field, f"expected {n}")])
    if not np.isfinite(reward_arr).all():
        raise Invalid("rewards hold a value that is not finite", [field_error("rewards", "not finite")])
    return reward_arr, wrong_arr


def select(
    strategy: str,
    scores: ScoreSet,
    prompt_vecs: ArrayLike,
    k: int,
    *,
    control_share: float = DEFAULT_CONTROL_SHARE,
    rng: np.random.Generator,
    rewards: ArrayLike | None = None,
    wrong: ArrayLike | None = None,
    centers: ArrayLike | None = None,
    diversity_weight: float = 1.0,
) -> Selection:
    _check(strategy, control_share, k)
    n = len(scores)
    vecs = np.asarray(prompt_vecs, dtype=np.float64)
    if vecs.ndim != 2 or vecs.shape[0] != n:
        raise Invalid(
            f"prompt_vecs must have one row per scored item ({n})",
            [field_error("prompt_vecs", f"expected ({n}, d)")],
        )
    if strategy == "convincing_wrong":
        _verifiable(rewards, wrong, n)
    center_arr = None if centers is None else np.asarray(centers, dtype=np.float64).reshape(-1, vecs.shape[1])

    k = min(k, n)
    control = rng.choice(n, size=control_count(k, control_share), replace=False).astype(np.int64)
    free = np.ones(n, dtype=bool)
    free[control] = False
    rest = np.flatnonzero(free).astype(np.int64)
    take = k - len(control)
    if take == 0:
        # The control group took the whole batch (a share near 1, or a batch of one): no strategy's pick is
        # left to make, and the hybrid's normalisation has no score to scale by.
        chosen, score = np.empty(0, dtype=np.int64), np.empty(0)
    elif strategy == "random":
        chosen = rng.choice(rest, size=take, replace=False).astype(np.int64)
        score = np.full(take, np.nan)
    elif strategy == "uncertainty":
        chosen = _uncertainty_order(scores, rest)[:take]
        score = scores.mutual_information[chosen]
    elif strategy == "margin":
        chosen = rest[np.argsort(scores.margin[rest], kind="stable")][:take]
        score = scores.margin[chosen]
    elif strategy == "diversity":
        chosen, score = _k_center(vecs, rest, take, center_arr, rng)
    elif strategy == "hybrid":
        chosen, score = _hybrid(scores, vecs, rest, take, diversity_weight)
    else:
        chosen, score = _convincing_wrong(scores, rest, take, *_verifiable(rewards, wrong, n))
    return Selection(
        strategy=strategy, chosen=chosen, score=np.asarray(score, dtype=np.float64), control=control
    )
