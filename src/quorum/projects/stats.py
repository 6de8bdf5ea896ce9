"""Numbers for a project's dashboard: items by status, throughput, time per judgment, per annotator."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.items.service import counts_by_status
from quorum.judgments.repository import with_annotator
from quorum.models import Assignment, Judgment, Project, User


@dataclass
class AnnotatorRow:
    username: str
    judgments: int
    median_ms: float | None
    skips: int


@dataclass
class Dashboard:
    counts: dict[str, int]
    total_items: int
    judgments: int
    last_hour: int
    per_hour_24h: float
    median_ms: float | None
    annotators: list[AnnotatorRow]
    progress: list[tuple[datetime, int]] = field(default_factory=list)


def _progress(times: list[datetime], now: datetime) -> list[tuple[datetime, int]]:
    """Cumulative judgments at up to 48 evenly spaced instants from the first judgment to now."""
    if not times:
        return []
    start = times[0]
    span = max(now - start, timedelta(minutes=1))
    steps = 48
    points = []
    i = 0
    for k in range(steps + 1):
        t = start + span * k / steps
        while i < len(times) and times[i] <= t:
            i += 1
        points.append((t, i))
    return points


def dashboard(db: Session, project: Project) -> Dashboard:
    now = utcnow()
    counts = counts_by_status(db, project)
    rows = db.execute(
        with_annotator(Judgment.time_spent_ms, Judgment.created_at)
        .where(Judgment.project_id == project.id)
        .order_by(Judgment.created_at)
    ).all()
    by_user: dict[str, list[int]] = {}
    for ms, _, username in rows:
        by_user.setdefault(username, []).append(ms)
    skips = dict(
        db.execute(
            select(User.username, func.count())
            .select_from(Assignment)
            .join(User, User.id == Assignment.user_id)
            .where(Assignment.project_id == project.id, Assignment.status == "skipped")
            .group_by(User.username)
        ).all()
    )
    times = [created for _, created, _ in rows]
    annotators = [
        AnnotatorRow(name, len(ms), statistics.median(ms), skips.get(name, 0))
        for name, ms in sorted(by_user.items())
    ]
    annotators += [AnnotatorRow(name, 0, None, n) for name, n in sorted(skips.items()) if name not in by_user]
    last_24h = sum(1 for t in times if now - t <= timedelta(hours=24))
    return Dashboard(
        counts=counts,
        total_items=sum(counts.values()),
        judgments=len(rows),
        last_hour=sum(1 for t in times if now - t <= timedelta(hours=1)),
        per_hour_24h=last_24h / 24,
        median_ms=statistics.median(ms for ms, _, _ in rows) if rows else None,
        annotators=annotators,
        progress=_progress(times, now),
    )
