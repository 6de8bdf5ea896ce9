"""Agreement between a model judge and people, next to agreement between people (the MT-Bench comparison).

Every statistic is over pairs of labels (rater 1, rater 2) grouped by item, and its interval comes from a
bootstrap over items (a cluster bootstrap: an item's pairs are drawn together, since one item's pairs share
its difficulty). Cohen's kappa is unweighted over the categories both raters used; percent agreement is the
share of pairs with equal labels. Human-human pairs enter in both orders, so neither person is "rater 1"
(the kappa is then Scott's pi over the pooled pairs, the form used for many interchangeable raters).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from quorum.core.bootstrap import Estimate, FloatArray, bootstrap

N_BOOT = 1000


@dataclass(frozen=True)
class Pair:
    item: int
    first: Hashable
    second: Hashable


@dataclass(frozen=True)
class PairAgreement:
    kappa: Estimate
    percent: Estimate
    n_pairs: int
    n_items: int


def _cells(pairs: Sequence[Pair]) -> tuple[FloatArray, int]:
    """Per item, the counts of each (first, second) cell of the k x k table: (items x k*k), k."""
    labels = sorted({p.first for p in pairs} | {p.second for p in pairs}, key=repr)
    code = {label: i for i, label in enumerate(labels)}
    items = sorted({p.item for p in pairs})
    row = {item: i for i, item in enumerate(items)}
    k = len(labels)
    cells = np.zeros((len(items), k * k))
    np.add.at(
        cells,
        (
            np.array([row[p.item] for p in pairs]),
            np.array([code[p.first] * k + code[p.second] for p in pairs]),
        ),
        1.0,
    )
    return cells, k


def _kappa(tables: FloatArray) -> FloatArray:
    """Cohen's kappa of each (draws x k x k) table; NaN where chance agreement is 1 (one category)."""
    totals = tables.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.trace(tables, axis1=1, axis2=2) / totals
        chance = (tables.sum(axis=2) * tables.sum(axis=1)).sum(axis=1) / (totals * totals)
        return np.asarray((observed - chance) / (1.0 - chance), dtype=np.float64)


def _percent(tables: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.trace(tables, axis1=1, axis2=2) / tables.sum(axis=(1, 2)), dtype=np.float64)


def agreement(
    pairs: Sequence[Pair], *, n_boot: int = N_BOOT, seed: int = 0, confidence: float = 0.95
) -> PairAgreement | None:
    """Kappa and percent agreement over ``pairs`` with item-bootstrap intervals; None without pairs."""
    if not pairs:
        return None
    cells, k = _cells(pairs)
    n_items = cells.shape[0]

    def tables(weights: FloatArray) -> FloatArray:
        return np.asarray((weights @ cells).reshape(-1, k, k), dtype=np.float64)

    kappa = bootstrap(lambda w: _kappa(tables(w)), n_items, n_boot=n_boot, seed=seed, confidence=confidence)
    percent = bootstrap(
        lambda w: _percent(tables(w)), n_items, n_boot=n_boot, seed=seed, confidence=confidence
    )
    return PairAgreement(kappa, percent, len(pairs), n_items)


def human_pairs(labels_by_item: dict[int, list[Hashable]]) -> list[Pair]:
    """Every pair of two different people's labels on each item, in both orders."""
    out: list[Pair] = []
    for item, labels in labels_by_item.items():
        for i, a in enumerate(labels):
            for j, b in enumerate(labels):
                if i != j:
                    out.append(Pair(item, a, b))
    return out


def judge_pairs(judge: dict[int, Hashable], labels_by_item: dict[int, list[Hashable]]) -> list[Pair]:
    """The judge's label against each person's on the items both answered (the judge is rater 1)."""
    return [
        Pair(item, judge[item], label)
        for item, labels in labels_by_item.items()
        if item in judge
        for label in labels
    ]


def as_dict(found: PairAgreement | None) -> dict[str, object] | None:
    """JSON shape: kappa and percent as ``{"value", "low", "high"}`` (None where undefined), and counts."""
    if found is None:
        return None
    return {
        "kappa": _estimate(found.kappa),
        "percent": _estimate(found.percent),
        "pairs": found.n_pairs,
        "items": found.n_items,
    }


def _estimate(e: Estimate) -> dict[str, float | None]:
    def num(x: float) -> float | None:
        return None if x != x else round(x, 4)

    return {"value": num(e.value), "low": num(e.ci_low), "high": num(e.ci_high)}
