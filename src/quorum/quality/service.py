"""A project's data quality from its judgments: agreement per question, annotator reliability, consensus.

The task type turns each answer into questions (``TaskType.agreement_values``); everything else is the
pure statistics of ``quorum.core``. Every number comes with the counts behind it, so that a figure from
three items is visibly not one from three thousand.

Rules, fixed and documented here:

- **Categorical questions** are the nominal ones plus ordinal ones with at most ``MAX_CATEGORIES``
  distinct values (step labels, Likert scores); the consensus method runs on them.
- **Main question**: the first categorical question, in the order the task type lists its questions.
  Low-confidence items and the Dawid-Skene accuracy are about this question.
- **Agreement with the consensus**: over categorical questions, on items that have 2+ answers to that
  question (a lone answer is its own consensus and would count as agreement).
- **Too fast**: ``time_spent_ms`` under ``max(2 s, 20% of the project's median time)``.
- **Position bias**: on task types that compare candidates (``TaskType.position_choice``), the share of
  an annotator's answers preferring one candidate whose preferred candidate was the one *shown first*
  (left, or top), from each judgment's recorded display order (judgments without one were shown as
  stored); two-sided binomial test against the chance of the first place (1/2 for two candidates; the
  mean of 1/k where items show k candidates). Answers that prefer no single candidate (ties) are left out.
- **Fleiss' kappa**: nominal questions only, over items with 2+ answers, when all of them have the same
  number of answers; otherwise it is reported as not applicable.

Agreement over time, confusion matrices, pairs of annotators, rankings and models: see
``quorum.quality.details``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.consensus.service import MAX_CATEGORIES, aggregate, check_method, label_of
from quorum.core.aggregation import AggregationResult, dawid_skene
from quorum.core.aggregation.encoding import Encoded, Encoder
from quorum.core.agreement import Ratings, fleiss_kappa, krippendorff_alpha, percent_agreement
from quorum.errors import Invalid, field_error
from quorum.judgments.repository import with_annotator
from quorum.models import Item, Judgment, Project
from quorum.quality import details
from quorum.quality.details import (
    AgreementTrend,
    AnnotatorConfusion,
    Interval,
    ModelRanking,
    PairwiseAgreement,
    RankAgreement,
)
from quorum.quality.details import num as _num
from quorum.quality.position_bias import Positions
from quorum.task_types import registry
from quorum.task_types.base import QuestionLevel

MAX_BOOTSTRAP = 2000
DEFAULT_BOOTSTRAP = 200
DEFAULT_THRESHOLD = 0.6
TOO_FAST_FLOOR_MS = 2000
TOO_FAST_SHARE = 0.2
MAX_LOW_CONFIDENCE = 200
_BATCH = 2000


@dataclass(frozen=True)
class QuestionAgreement:
    question: str
    level: QuestionLevel
    categorical: bool
    n_items: int
    n_items_pairable: int
    n_judgments: int
    n_annotators: int
    alpha: Interval
    percent_agreement: Interval
    fleiss_kappa: float | None
    fleiss_note: str


@dataclass
class AnnotatorQuality:
    username: str
    judgments: int = 0
    gold_judged: int = 0
    gold_accuracy: float | None = None
    consensus_compared: int = 0
    consensus_agreement: float | None = None
    too_fast: int = 0
    position_choices: int = 0
    position_a_share: float | None = None
    position_p_value: float | None = None
    ds_answers: int = 0
    ds_accuracy: float | None = None


@dataclass(frozen=True)
class LowConfidenceItem:
    item_id: int
    external_id: str
    consensus: str
    confidence: float
    n_judgments: int


@dataclass(frozen=True)
class QualityReport:
    project_id: int
    task_type: str
    method: str
    bootstrap: int
    n_items: int
    n_judgments: int
    n_annotators: int
    median_ms: float | None
    too_fast_ms: int
    main_question: str | None
    threshold: float
    questions: list[QuestionAgreement]
    annotators: list[AnnotatorQuality]
    low_confidence: list[LowConfidenceItem]
    n_low_confidence: int
    rules: dict[str, str] = field(default_factory=dict)
    trend: AgreementTrend | None = None
    confusion: list[AnnotatorConfusion] = field(default_factory=list)
    pairs: PairwiseAgreement | None = None
    rank_agreement: RankAgreement | None = None
    models: ModelRanking | None = None

    def to_dict(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = _clean(asdict(self))
        return cleaned


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass
class _Question:
    """Long rows of one question: parallel lists of item id, user id and value."""

    items: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


def _rows(
    db: Session, project: Project
) -> Iterator[tuple[int, int, str, dict[str, Any], int, float | None, datetime, list[int] | None]]:
    query = (
        with_annotator(
            Judgment.item_id,
            Judgment.user_id,
            Judgment.answer,
            Judgment.time_spent_ms,
            Judgment.gold_score,
            Judgment.created_at,
            Judgment.display_order,
        )
        .where(Judgment.project_id == project.id)
        .order_by(Judgment.id)
        .execution_options(yield_per=_BATCH)
    )
    for row in db.execute(query):
        yield row[0], row[1], row[7], row[2], row[3], row[4], row[5], row[6]


def _ratings(rows: _Question, level: QuestionLevel) -> Ratings:
    return _coded_ratings(rows, level)[0]


def _coded_ratings(rows: _Question, level: QuestionLevel) -> tuple[Ratings, list[int], list[int]]:
    """The ratings with the item id behind each unit code and the user id behind each rater code."""
    item_codes: dict[int, int] = {}
    user_codes: dict[int, int] = {}
    units = [item_codes.setdefault(i, len(item_codes)) for i in rows.items]
    raters = [user_codes.setdefault(u, len(user_codes)) for u in rows.users]
    if level == "nominal":
        categories: dict[str, int] = {}
        values = [float(categories.setdefault(label_of(v), len(categories))) for v in rows.values]
    else:
        values = [float(v) for v in rows.values]
    ratings = Ratings.from_codes(units, raters, values, len(item_codes), len(user_codes))
    return ratings, list(item_codes), list(user_codes)


def _agreement(
    name: str, rows: _Question, level: QuestionLevel, n_boot: int, seed: int, ratings: Ratings | None = None
) -> QuestionAgreement:
    ratings = ratings if ratings is not None else _ratings(rows, level)
    per_item = np.bincount(ratings.units, minlength=ratings.n_units)
    pairable = per_item[per_item >= 2]
    alpha = krippendorff_alpha(ratings, level, n_boot=n_boot, seed=seed)
    agree = percent_agreement(ratings, n_boot=n_boot, seed=seed)
    kappa: float | None = None
    if level != "nominal":
        note = "nominal questions only"
    elif pairable.size == 0:
        note = "no item has 2+ answers"
    elif np.any(pairable != pairable[0]):
        note = "items have different numbers of answers"
    else:
        keep = np.isin(ratings.units, np.nonzero(per_item >= 2)[0])
        subset = Ratings(
            ratings.units[keep], ratings.raters[keep], ratings.values[keep], ratings.n_units, ratings.n_raters
        )
        kappa = _num(fleiss_kappa(subset, n_boot=0).value)
        note = f"{int(pairable[0])} answers on each of {pairable.size} items"
    distinct = len({label_of(v) for v in rows.values})
    return QuestionAgreement(
        question=name,
        level=level,
        categorical=level == "nominal" or distinct <= MAX_CATEGORIES,
        n_items=int(np.count_nonzero(per_item)),
        n_items_pairable=int(pairable.size),
        n_judgments=int(ratings.values.size),
        n_annotators=len(set(rows.users)),
        alpha=Interval.of(alpha),
        percent_agreement=Interval.of(agree),
        fleiss_kappa=kappa,
        fleiss_note=note,
    )


def _encode(rows: _Question) -> Encoded:
    encoder = Encoder()
    for item, user, value in zip(rows.items, rows.users, rows.values, strict=True):
        encoder.add(str(item), str(user), label_of(value))
    return encoder.finish()


def check_options(method: str, n_boot: int, threshold: float) -> None:
    check_method(method, ["query", "method"])
    if not 0 <= n_boot <= MAX_BOOTSTRAP:
        raise Invalid(
            f"bootstrap must be from 0 to {MAX_BOOTSTRAP}",
            [field_error("bootstrap", "out of range", at="query")],
        )
    if not 0.0 <= threshold <= 1.0:
        raise Invalid(
            "threshold must be from 0 to 1",
            [field_error("threshold", "out of range", at="query")],
        )


def quality_report(
    db: Session,
    project: Project,
    *,
    method: str = "mv",
    n_boot: int = DEFAULT_BOOTSTRAP,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
) -> QualityReport:
    """Agreement, annotator reliability and low-confidence items of ``project`` (reads only)."""
    check_options(method, n_boot, threshold)
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    questions: dict[str, _Question] = {}
    people: dict[int, AnnotatorQuality] = {}
    gold: dict[int, list[float]] = {}
    times: list[tuple[int, int]] = []
    items: set[int] = set()
    last_at: dict[int, datetime] = {}
    # Each stays None unless the task type answers its hook: rankings, comparisons of candidates.
    ranked: dict[int, dict[int, list[float]]] | None = None
    compared: list[tuple[int, list[tuple[int, int, float]]]] | None = None
    positions: dict[int, Positions] = {}
    for item_id, user_id, username, answer, ms, gold_score, created_at, order in _rows(db, project):
        items.add(item_id)
        if item_id not in last_at or created_at > last_at[item_id]:
            last_at[item_id] = created_at
        made = kind.comparisons(answer)
        if made is not None:
            compared = compared if compared is not None else []
            compared.append((item_id, made))
        ranks = kind.ranks(answer)
        if ranks is not None:
            ranked = ranked if ranked is not None else {}
            ranked.setdefault(item_id, {})[user_id] = ranks
        chosen = kind.position_choice(answer, order)
        if chosen is not None:
            positions.setdefault(user_id, Positions()).add(*chosen)
        person = people.setdefault(user_id, AnnotatorQuality(username))
        person.judgments += 1
        times.append((user_id, ms))
        if gold_score is not None:
            gold.setdefault(user_id, []).append(gold_score)
        values = kind.agreement_values(answer, config)
        for name, value in values.items():
            if value is None:
                continue
            rows = questions.setdefault(name, _Question())
            rows.items.append(item_id)
            rows.users.append(user_id)
            rows.values.append(value)

    median_ms = statistics.median(ms for _, ms in times) if times else None
    too_fast_ms = max(TOO_FAST_FLOOR_MS, int(TOO_FAST_SHARE * (median_ms or 0)))
    for user_id, ms in times:
        if ms < too_fast_ms:
            people[user_id].too_fast += 1
    for user_id, scores in gold.items():
        people[user_id].gold_judged = len(scores)
        people[user_id].gold_accuracy = sum(scores) / len(scores)

    levels = {name: kind.question_level(name, config) for name in questions}
    # The main question is usually the first: its coded ratings serve the trend and the pairs too.
    coded = {name: _coded_ratings(rows, levels[name]) for name, rows in list(questions.items())[:1]}
    agreement = [
        _agreement(name, rows, levels[name], n_boot, seed, coded[name][0] if name in coded else None)
        for name, rows in questions.items()
    ]
    categorical = [q.question for q in agreement if q.categorical]
    main = categorical[0] if categorical else None
    fitted = {name: _fit(method, questions[name]) for name in categorical}
    _consensus_agreement(fitted, people)
    low: list[LowConfidenceItem] = []
    trend: AgreementTrend | None = None
    confusion: list[AnnotatorConfusion] = []
    pairs: PairwiseAgreement | None = None
    usernames = {user_id: person.username for user_id, person in people.items()}
    if main is not None:
        low, ds = _main_question(db, *fitted[main], threshold, people)
        confusion = details.confusions(fitted[main][0], ds, usernames)
        level = levels[main]
        ratings, unit_items, unit_users = coded.get(main) or _coded_ratings(questions[main], level)
        trend = details.agreement_trend(main, level, ratings, [last_at[i] for i in unit_items], n_boot, seed)
        rankings = None
        if ranked is not None:
            item_code = {item_id: code for code, item_id in enumerate(unit_items)}
            user_code = {user_id: code for code, user_id in enumerate(unit_users)}
            rankings = {
                (item_code[item_id], user_code[user_id]): ranks
                for item_id, by_user in ranked.items()
                if item_id in item_code
                for user_id, ranks in by_user.items()
                if user_id in user_code
            }
        names = [usernames[u] for u in unit_users]
        pairs = details.pair_agreement(main, level, ratings, names, n_boot, seed, rankings)
    rank_agreement = None
    if ranked is not None:
        rank_agreement = details.rank_agreement(
            (list(by_user.values()) for by_user in ranked.values()), n_boot, seed
        )
    models = None
    if compared is not None:
        models = details.model_ranking(compared, _candidate_models(db, project), n_boot, seed)
    _position_bias(positions, people)
    return QualityReport(
        project_id=project.id,
        task_type=project.task_type,
        method=method,
        bootstrap=n_boot,
        n_items=len(items),
        n_judgments=len(times),
        n_annotators=len(people),
        median_ms=median_ms,
        too_fast_ms=too_fast_ms,
        main_question=main,
        threshold=threshold,
        questions=agreement,
        annotators=sorted(people.values(), key=lambda p: p.username),
        low_confidence=low[:MAX_LOW_CONFIDENCE],
        n_low_confidence=len(low),
        rules={
            "too_fast": f"time spent under max({TOO_FAST_FLOOR_MS} ms, {TOO_FAST_SHARE:.0%} of the median)",
            "consensus_agreement": "answers equal to the consensus, on items with 2+ answers to a question",
            "position_bias": "share of answers preferring the candidate shown first (A, left or top), "
            "among those preferring one; two-sided binomial test against chance (1/2 for two candidates)",
            "ds_accuracy": "Dawid-Skene expected accuracy on the main question",
            "trend": "alpha on the main question per time bucket; an item counts in the bucket of its latest "
            f"judgment; buckets with under {details.MIN_PAIRABLE} items with 2+ answers are marked sparse",
            "confusion": "expected counts of (true label, answer) under the Dawid-Skene posteriors, rows "
            "normalised to P(answer | true label)",
            "pairs": f"Cohen's kappa on the main question for pairs sharing {details.MIN_SHARED}+ items "
            f"(quadratic weights unless nominal); the {details.MAX_PAIRS} pairs sharing the most",
            "rank_agreement": "mean Kendall's tau-b between annotators who ranked the same item",
            "models": "Bradley-Terry over candidates' models; a tie is half a win each; candidates without "
            "a model or from the same model are skipped; intervals resample answers",
        },
        trend=trend,
        confusion=confusion,
        pairs=pairs,
        rank_agreement=rank_agreement,
        models=models,
    )


def _candidate_models(db: Session, project: Project) -> dict[int, dict[int, str | None]]:
    models: dict[int, dict[int, str | None]] = {}
    query = (
        select(Item.id, Item.candidate_provenance)
        .where(Item.project_id == project.id)
        .execution_options(yield_per=_BATCH)
    )
    for item_id, provenance in db.execute(query):
        if provenance:
            models[item_id] = {c["position"]: c["model"] for c in provenance}
    return models


def _fit(method: str, rows: _Question) -> tuple[Encoded, AggregationResult]:
    data = _encode(rows)
    return data, aggregate(method, data)


def _consensus_agreement(
    fitted: dict[str, tuple[Encoded, AggregationResult]], people: dict[int, AnnotatorQuality]
) -> None:
    hits: dict[int, int] = {}
    compared: dict[int, int] = {}
    for data, result in fitted.values():
        per_task = np.bincount(data.tasks, minlength=data.n_tasks)
        shared = per_task[data.tasks] >= 2
        equal = (result.labels[data.tasks] == data.labels) & shared
        for worker, n, k in zip(
            data.worker_names,
            np.bincount(data.workers, weights=shared, minlength=data.n_workers),
            np.bincount(data.workers, weights=equal, minlength=data.n_workers),
            strict=True,
        ):
            compared[int(worker)] = compared.get(int(worker), 0) + int(n)
            hits[int(worker)] = hits.get(int(worker), 0) + int(k)
    for user_id, n in compared.items():
        people[user_id].consensus_compared = n
        people[user_id].consensus_agreement = hits[user_id] / n if n else None


def _main_question(
    db: Session,
    data: Encoded,
    result: AggregationResult,
    threshold: float,
    people: dict[int, AnnotatorQuality],
) -> tuple[list[LowConfidenceItem], AggregationResult]:
    ds = result if result.method == "ds" else dawid_skene(*_codes(data))
    for worker, accuracy, n in zip(data.worker_names, ds.worker_accuracy, ds.worker_answers, strict=True):
        people[int(worker)].ds_answers = int(n)
        people[int(worker)].ds_accuracy = _num(float(accuracy))
    per_task = np.bincount(data.tasks, minlength=data.n_tasks)
    low = [
        (int(data.task_names[t]), data.label_names[int(result.labels[t])], float(result.confidence[t]))
        for t in np.nonzero((result.confidence < threshold) & (result.labels >= 0))[0]
    ]
    low.sort(key=lambda row: (row[2], row[0]))
    names = _external_ids(db, [item_id for item_id, _, _ in low[:MAX_LOW_CONFIDENCE]])
    counts = {int(data.task_names[t]): int(per_task[t]) for t in range(data.n_tasks)}
    return [
        LowConfidenceItem(item_id, names.get(item_id, str(item_id)), label, confidence, counts[item_id])
        for item_id, label, confidence in low
    ], ds


def _codes(data: Encoded) -> tuple[Any, Any, Any, int, int, int]:
    return data.tasks, data.workers, data.labels, data.n_tasks, data.n_workers, data.n_labels


def _external_ids(db: Session, item_ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(item_ids), _BATCH):
        chunk = item_ids[start : start + _BATCH]
        for item_id, external_id in db.execute(select(Item.id, Item.external_id).where(Item.id.in_(chunk))):
            names[item_id] = external_id
    return names


def _position_bias(positions: dict[int, Positions], people: dict[int, AnnotatorQuality]) -> None:
    for user_id, counts in positions.items():
        person = people[user_id]
        person.position_choices = counts.n
        person.position_a_share = counts.first_share
        person.position_p_value = counts.p_value()
