"""The parts of the quality report beyond one number per question: agreement over time, each
annotator's Dawid-Skene confusion matrix, agreement per pair of annotators, Kendall's tau between
rankings, and Bradley-Terry scores of the models behind compared candidates.

Rules, fixed and documented here:

- **Agreement over time**: Krippendorff's alpha on the main question per time bucket. An item belongs
  to the bucket of its latest judgment (when its last answer arrived), with all its answers, so a
  pair of answers is never split across buckets. The bucket is the smallest of hour, day, week and
  28 days that gives at most ``MAX_POINTS`` buckets over the span (longer spans: wider multiples of
  28 days); buckets start at Monday 00:00 UTC multiples. Empty buckets are left out; a bucket with
  fewer than ``MIN_PAIRABLE`` items with 2+ answers is kept and marked ``sparse``.
- **Confusion matrix**: per annotator, on the main question, the expected counts of (true label,
  given answer) under the Dawid-Skene posteriors of the items; rows are normalised to P(answer | true
  label). A row with (near) zero expected count has no estimate (``None``).
- **Pairs of annotators**: Cohen's kappa on the main question (unweighted for a nominal question,
  quadratic weights for an ordinal or interval one) for pairs sharing at least ``MIN_SHARED`` items;
  the ``MAX_PAIRS`` pairs with the most shared items are listed. On rankings each listed pair also
  gets its mean Kendall's tau-b over the items both ranked.
- **Rankings**: mean Kendall's tau-b over pairs of annotators who ranked the same item, averaged over
  items; the interval resamples items.
- **Models**: each comparison an answer makes (``TaskType.comparisons``: a pairwise choice; every pair
  of candidates in a ranking) between candidates of two different named models is one comparison; a
  tie is half a win for each side. Candidates without a model name, or two candidates from the same
  model, are skipped and counted. Bradley-Terry with one tie against a reference per model as prior;
  the interval resamples answers (all comparisons from one answer together).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from quorum.core.aggregation import AggregationResult, bradley_terry
from quorum.core.aggregation.encoding import Encoded
from quorum.core.agreement import (
    Estimate,
    KappaWeights,
    Ratings,
    cohen_kappa,
    krippendorff_alpha,
    mean_kendall_tau,
    pair_taus,
)
from quorum.core.krippendorff import Level

MAX_POINTS = 60
MIN_PAIRABLE = 10
TREND_BOOTSTRAP = 100
MIN_SHARED = 5
MAX_PAIRS = 50
MIN_ROW_COUNT = 1e-6
_MONDAY = datetime(1970, 1, 5, tzinfo=UTC)
_UNITS: tuple[tuple[str, int], ...] = (("hour", 3600), ("day", 86_400), ("week", 7 * 86_400))
_FOUR_WEEKS = 28 * 86_400


def num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Interval:
    value: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of(cls, estimate: Estimate) -> Interval:
        return cls(num(estimate.value), num(estimate.ci_low), num(estimate.ci_high))


# ---- agreement over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    start: datetime
    end: datetime
    n_items: int
    n_items_pairable: int
    n_judgments: int
    alpha: Interval
    sparse: bool


@dataclass(frozen=True)
class AgreementTrend:
    question: str
    unit: str
    bucket_seconds: int
    min_pairable: int
    points: list[TrendPoint]


def bucket_size(first: datetime, last: datetime) -> tuple[str, int]:
    """The bucket (name, seconds) for a span: the smallest unit giving at most ``MAX_POINTS`` buckets."""
    for name, seconds in _UNITS:
        if _bucket(last, seconds) - _bucket(first, seconds) < MAX_POINTS:
            return name, seconds
    weeks = 4
    while (_bucket(last, weeks * 7 * 86_400) - _bucket(first, weeks * 7 * 86_400)) >= MAX_POINTS:
        weeks += 4
    return f"{weeks} weeks", weeks * 7 * 86_400


def _bucket(moment: datetime, seconds: int) -> int:
    return math.floor((moment - _MONDAY).total_seconds() / seconds)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def agreement_trend(
    question: str,
    level: Level,
    ratings: Ratings,
    unit_times: Sequence[datetime],
    n_boot: int,
    seed: int,
) -> AgreementTrend:
    """Alpha per time bucket of ``ratings`` (one question), ``unit_times[u]`` placing unit u in time."""
    times = [_utc(t) for t in unit_times]
    if not times or ratings.values.size == 0:
        return AgreementTrend(question, "day", 86_400, MIN_PAIRABLE, [])
    name, seconds = bucket_size(min(times), max(times))
    unit_bucket = np.array([_bucket(t, seconds) for t in times], dtype=np.int64)
    row_bucket = unit_bucket[ratings.units]
    points = []
    for bucket in np.unique(row_bucket):
        keep = row_bucket == bucket
        units = ratings.units[keep]
        per_unit = np.bincount(units, minlength=ratings.n_units)
        pairable = int(np.count_nonzero(per_unit >= 2))
        subset = Ratings(units, ratings.raters[keep], ratings.values[keep], ratings.n_units, ratings.n_raters)
        alpha = krippendorff_alpha(subset, level, n_boot=min(n_boot, TREND_BOOTSTRAP), seed=seed)
        start = _MONDAY + timedelta(seconds=int(bucket) * seconds)
        points.append(
            TrendPoint(
                start=start,
                end=start + timedelta(seconds=seconds),
                n_items=int(np.count_nonzero(per_unit)),
                n_items_pairable=pairable,
                n_judgments=int(keep.sum()),
                alpha=Interval.of(alpha),
                sparse=pairable < MIN_PAIRABLE,
            )
        )
    return AgreementTrend(question, name, seconds, MIN_PAIRABLE, points)


# ---- confusion matrices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorConfusion:
    username: str
    n_answers: int
    labels: list[str]
    matrix: list[list[float | None]]
    counts: list[list[float]]


def confusion_counts(data: Encoded, probabilities: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``counts[w, true, answered]``: the expected number of worker w's answers ``answered`` on items
    whose true label is ``true``, with P(true) from ``probabilities[task, true]``."""
    k = data.n_labels
    cells = data.workers * k + data.labels
    return np.stack(
        [
            np.bincount(cells, weights=probabilities[data.tasks, t], minlength=data.n_workers * k).reshape(
                data.n_workers, k
            )
            for t in range(k)
        ],
        axis=1,
    )


def confusions(data: Encoded, ds: AggregationResult, usernames: dict[int, str]) -> list[AnnotatorConfusion]:
    counts = confusion_counts(data, ds.probabilities)
    out = []
    for w, worker in enumerate(data.worker_names):
        table = counts[w]
        totals = table.sum(axis=1)
        matrix: list[list[float | None]] = [
            [float(c / total) for c in row] if total > MIN_ROW_COUNT else [None] * len(row)
            for row, total in zip(table, totals, strict=True)
        ]
        out.append(
            AnnotatorConfusion(
                username=usernames[int(worker)],
                n_answers=int(ds.worker_answers[w]),
                labels=list(data.label_names),
                matrix=matrix,
                counts=[[round(float(c), 3) for c in row] for row in table],
            )
        )
    return sorted(out, key=lambda c: c.username)


# ---- pairs of annotators --------------------------------------------------------------------------


@dataclass(frozen=True)
class PairAgreement:
    first: str
    second: str
    n_shared: int
    agreement: float | None
    kappa: Interval
    mean_tau: float | None = None


@dataclass(frozen=True)
class PairwiseAgreement:
    question: str
    weights: str
    min_shared: int
    n_pairs: int
    n_pairs_enough: int
    pairs: list[PairAgreement]


def shared_pairs(ratings: Ratings) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Every pair of ratings of one unit by two raters: (first rater, second rater) with first <
    second, and the indexes of their two ratings (rows x 2)."""
    order = np.lexsort((ratings.raters, ratings.units))
    units, raters = ratings.units[order], ratings.raters[order]
    firsts, seconds, rows = [], [], []
    offset = 1
    while offset < units.size:
        same = units[offset:] == units[:-offset]
        if not same.any():
            break
        left = np.nonzero(same)[0]
        firsts.append(raters[left])
        seconds.append(raters[left + offset])
        rows.append(np.stack([order[left], order[left + offset]], axis=1))
        offset += 1
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(rows)


def pair_agreement(
    question: str,
    level: Level,
    ratings: Ratings,
    rater_names: Sequence[str],
    n_boot: int,
    seed: int,
    rankings: Mapping[tuple[int, int], Sequence[float]] | None = None,
) -> PairwiseAgreement:
    """Cohen's kappa for the pairs of raters with the most shared units (at least ``MIN_SHARED``);
    with ``rankings`` ((unit, rater) codes -> ranks), also each pair's mean Kendall tau-b over them."""
    weights: KappaWeights = None if level == "nominal" else "quadratic"
    firsts, seconds, rows = shared_pairs(ratings)
    keys = firsts * max(ratings.n_raters, 1) + seconds
    distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    enough = np.nonzero(counts >= MIN_SHARED)[0]
    # Most shared first; equal counts by rater names for a stable order.
    chosen = sorted(
        enough.tolist(),
        key=lambda p: (
            -int(counts[p]),
            rater_names[int(distinct[p]) // max(ratings.n_raters, 1)],
            rater_names[int(distinct[p]) % max(ratings.n_raters, 1)],
        ),
    )[:MAX_PAIRS]
    pairs = []
    for p in chosen:
        picked = rows[inverse.ravel() == p]
        x, y = ratings.values[picked[:, 0]], ratings.values[picked[:, 1]]
        kappa = cohen_kappa(x, y, weights, n_boot=n_boot, seed=seed)
        a, b = int(distinct[p]) // max(ratings.n_raters, 1), int(distinct[p]) % max(ratings.n_raters, 1)
        names = sorted([rater_names[a], rater_names[b]])
        tau = None if rankings is None else _pair_mean_tau(ratings, picked, rankings)
        pairs.append(
            PairAgreement(names[0], names[1], int(counts[p]), float(np.mean(x == y)), Interval.of(kappa), tau)
        )
    return PairwiseAgreement(
        question=question,
        weights=weights or "none",
        min_shared=MIN_SHARED,
        n_pairs=int(distinct.size),
        n_pairs_enough=int(enough.size),
        pairs=pairs,
    )


def _pair_mean_tau(
    ratings: Ratings, rows: np.ndarray[Any, Any], rankings: Mapping[tuple[int, int], Sequence[float]]
) -> float | None:
    firsts, seconds = [], []
    for left, right in rows:
        x = rankings.get((int(ratings.units[left]), int(ratings.raters[left])))
        y = rankings.get((int(ratings.units[right]), int(ratings.raters[right])))
        if x is not None and y is not None and len(x) == len(y):
            firsts.append(x)
            seconds.append(y)
    if not firsts:
        return None
    taus = pair_taus(np.array(firsts, dtype=np.float64), np.array(seconds, dtype=np.float64))
    return num(float(np.nanmean(taus))) if np.any(~np.isnan(taus)) else None


# ---- rankings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankAgreement:
    mean_tau: Interval
    n_items: int
    n_pairs: int


def rank_agreement(per_item: Iterable[list[list[float]]], n_boot: int, seed: int) -> RankAgreement:
    """Mean Kendall's tau-b from each item's rank vectors (one per annotator), over items ranked 2+ times."""
    items = [vectors for vectors in per_item if len(vectors) >= 2]
    if not items:
        return RankAgreement(Interval(None, None, None), 0, 0)
    raters = max(len(v) for v in items)
    objects = max(len(r) for v in items for r in v)
    data = np.full((len(items), raters, objects), np.nan)
    for i, vectors in enumerate(items):
        for r, ranks in enumerate(vectors):
            data[i, r, : len(ranks)] = ranks
    estimate = mean_kendall_tau(data, n_boot=n_boot, seed=seed)
    return RankAgreement(Interval.of(estimate), len(items), sum(len(v) * (len(v) - 1) // 2 for v in items))


# ---- models ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelScore:
    model: str
    score: Interval
    wins: int
    losses: int
    ties: int
    n_comparisons: int
    win_rate: float | None


@dataclass(frozen=True)
class ModelRanking:
    n_answers: int
    n_comparisons: int
    n_skipped: int
    models: list[ModelScore]


def model_ranking(
    answers: Iterable[tuple[int, list[tuple[int, int, float]]]],
    models: dict[int, dict[int, str | None]],
    n_boot: int,
    seed: int,
) -> ModelRanking:
    """Bradley-Terry over models from each answer's (item id, comparisons by candidate position)."""
    codes: dict[str, int] = {}
    lefts: list[int] = []
    rights: list[int] = []
    outcomes: list[float] = []
    groups: list[int] = []
    skipped = n_answers = 0
    for index, (item_id, pairs) in enumerate(answers):
        names = models.get(item_id, {})
        used = False
        for a, b, outcome in pairs:
            left, right = names.get(a), names.get(b)
            if left is None or right is None or left == right:
                skipped += 1
                continue
            lefts.append(codes.setdefault(left, len(codes)))
            rights.append(codes.setdefault(right, len(codes)))
            outcomes.append(outcome)
            groups.append(index)
            used = True
        n_answers += used
    if not lefts:
        return ModelRanking(0, 0, skipped, [])
    fit = bradley_terry(lefts, rights, outcomes, len(codes), n_boot=n_boot, seed=seed, groups=groups)
    left_arr, right_arr, out_arr = np.array(lefts), np.array(rights), np.array(outcomes)
    scores = []
    for name, code in codes.items():
        as_left, as_right = left_arr == code, right_arr == code
        wins = int(np.sum(as_left & (out_arr == 1.0)) + np.sum(as_right & (out_arr == 0.0)))
        ties = int(np.sum((as_left | as_right) & (out_arr == 0.5)))
        total = int(fit.n_comparisons[code])
        scores.append(
            ModelScore(
                model=name,
                score=Interval(num(fit.scores[code]), num(fit.ci_low[code]), num(fit.ci_high[code])),
                wins=wins,
                losses=total - wins - ties,
                ties=ties,
                n_comparisons=total,
                win_rate=(wins + ties / 2) / total if total else None,
            )
        )
    scores.sort(key=lambda s: (-(s.score.value if s.score.value is not None else -math.inf), s.model))
    return ModelRanking(n_answers, len(lefts), skipped, scores)
