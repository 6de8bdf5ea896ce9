"""What the dashboard's charts draw: judgments per day, time per item, the answer distribution of the
type's main question, and agreement by day (share of judgments that match their item's majority)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.models import Judgment, Project
from quorum.task_types import registry

DAYS = 14
# Seconds; the last bucket is open-ended.
TIME_BUCKETS = (5, 10, 20, 40, 80, 160)
TOP_VALUES = 12


@dataclass(frozen=True)
class ChartData:
    per_day: list[tuple[str, float]]
    time_per_item: list[tuple[str, float]]
    question: str | None
    answers: list[tuple[str, float]]
    agreement: list[tuple[str, float]]


def _main_value(kind: Any, answer: dict[str, Any], config: Any) -> tuple[str, str] | None:
    try:
        values = kind.agreement_values(answer, config)
    except (KeyError, TypeError, ValueError, IndexError):
        # An old answer the type can no longer read is left out of a chart, not a broken dashboard.
        return None
    if not values:
        return None
    question = next(iter(values))
    return question, str(values[question])


def _time_label(i: int) -> str:
    if i == 0:
        return f"<{TIME_BUCKETS[0]}s"
    if i == len(TIME_BUCKETS):
        return f"≥{TIME_BUCKETS[-1]}s"
    return f"{TIME_BUCKETS[i - 1]}–{TIME_BUCKETS[i]}s"


def chart_data(db: Session, project: Project) -> ChartData:
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    today = utcnow().date()
    days = [today - timedelta(days=DAYS - 1 - k) for k in range(DAYS)]
    per_day: Counter[Any] = Counter()
    buckets = [0] * (len(TIME_BUCKETS) + 1)
    by_item: dict[int, list[tuple[Any, str]]] = defaultdict(list)
    answers: Counter[str] = Counter()
    question = None
    rows = db.execute(
        select(Judgment.item_id, Judgment.answer, Judgment.time_spent_ms, Judgment.created_at).where(
            Judgment.project_id == project.id
        )
    )
    for item_id, answer, ms, created in rows:
        day = created.date()
        per_day[day] += 1
        buckets[sum(1 for edge in TIME_BUCKETS if ms / 1000 >= edge)] += 1
        main = _main_value(kind, answer, config)
        if main is not None:
            question = question or main[0]
            if main[0] == question:
                answers[main[1]] += 1
                by_item[item_id].append((day, main[1]))
    agree: Counter[Any] = Counter()
    seen: Counter[Any] = Counter()
    for votes in by_item.values():
        if len(votes) < 2:
            continue  # one judgment agrees with itself: it says nothing
        majority = Counter(v for _, v in votes).most_common(1)[0][0]
        for day, value in votes:
            seen[day] += 1
            agree[day] += value == majority
    return ChartData(
        per_day=[(d.strftime("%d %b"), float(per_day[d])) for d in days],
        time_per_item=[(_time_label(i), float(n)) for i, n in enumerate(buckets)],
        question=question,
        answers=[(value, float(n)) for value, n in answers.most_common(TOP_VALUES)],
        agreement=[(d.strftime("%d %b"), 100.0 * agree[d] / seen[d] if seen[d] else 0.0) for d in days],
    )
