"""Big projects' quality reports, computed by the ``quality_report`` job and cached.

A report over many judgments (bootstraps, annotator models, pairs) costs seconds, too much for a request.
From ``min_judgments`` judgments (``QUORUM_QUALITY_JOB_MIN_JUDGMENTS``) a request reads the cached report
for its options instead; the cache is *current* while the project's data version (newest judgment id and
count, newest review id and count) is the one it was computed from. A stale or missing report submits a
refresh job (one pending per project and options); a stale one is still answered, with its age. Smaller
projects compute the report in the request, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.audit import record
from quorum.db.dialect import lock_for_update
from quorum.db.types import utcnow
from quorum.jobs import service as jobs
from quorum.models import Job, Judgment, Project, QualityReportCache, Review, User
from quorum.quality import service

KIND = "quality_report"


@dataclass(frozen=True)
class Options:
    method: str = "mv"
    bootstrap: int = service.DEFAULT_BOOTSTRAP
    threshold: float = service.DEFAULT_THRESHOLD

    def check(self) -> None:
        service.check_options(self.method, self.bootstrap, self.threshold)

    @property
    def key(self) -> str:
        return f"{self.method}|{self.bootstrap}|{self.threshold!r}"

    def params(self) -> dict[str, Any]:
        return {"method": self.method, "bootstrap": self.bootstrap, "threshold": self.threshold}


@dataclass(frozen=True)
class Answer:
    """What a quality request gets: the report (None while the first one is computed) and, for a cached
    one, when it was computed, whether it is current, and the refresh job when one was submitted."""

    report: dict[str, Any] | None
    cached: bool
    computed_at: datetime | None = None
    current: bool = True
    job: Job | None = None

    def cache_view(self) -> dict[str, Any] | None:
        if not self.cached:
            return None
        age = (utcnow() - self.computed_at).total_seconds() if self.computed_at else None
        return {
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "age_seconds": round(age, 1) if age is not None else None,
            "current": self.current,
            "job": self.job.id if self.job else None,
        }


def data_version(db: Session, project: Project) -> str:
    """One statement: what a report depends on beyond the project itself."""
    row = db.execute(
        select(
            select(func.max(Judgment.id)).where(Judgment.project_id == project.id).scalar_subquery(),
            select(func.count()).where(Judgment.project_id == project.id).scalar_subquery(),
            select(func.max(Review.id)).where(Review.project_id == project.id).scalar_subquery(),
            select(func.count()).where(Review.project_id == project.id).scalar_subquery(),
        )
    ).one()
    return ":".join(str(value or 0) for value in row)


def n_judgments(db: Session, project: Project) -> int:
    return int(db.scalar(select(func.count()).where(Judgment.project_id == project.id)) or 0)


def refresh_key(project: Project, options: Options) -> str:
    return f"{KIND}:{project.id}:{options.key}"


def report_for(db: Session, user: User, project: Project, options: Options, *, min_judgments: int) -> Answer:
    """The report inline for a small project; for a big one the cached report, a refresh job submitted
    (owned by ``user``) when it is missing or stale."""
    options.check()
    if n_judgments(db, project) < min_judgments:
        computed = service.quality_report(
            db, project, method=options.method, n_boot=options.bootstrap, threshold=options.threshold
        )
        return Answer(computed.to_dict(), cached=False)
    version = data_version(db, project)
    row = _cached(db, project, options)
    if row is not None and row.data_version == version:
        return Answer(row.report, cached=True, computed_at=row.computed_at, current=True)
    key = refresh_key(project, options)
    new_id = jobs.submit_once(db, KIND, key, owner_id=user.id, project_id=project.id, params=options.params())
    job = db.get(Job, new_id) if new_id is not None else jobs.pending_job(db, key)
    if row is None:
        return Answer(None, cached=True, current=False, job=job)
    return Answer(row.report, cached=True, computed_at=row.computed_at, current=False, job=job)


def _cached(db: Session, project: Project, options: Options) -> QualityReportCache | None:
    return db.scalar(
        select(QualityReportCache).where(
            QualityReportCache.project_id == project.id, QualityReportCache.options == options.key
        )
    )


def compute_and_store(
    db: Session, project: Project, options: Options, *, job_id: int | None = None
) -> QualityReportCache:
    """Compute the report and cache it under the data version read *before* the data: judgments arriving
    meanwhile make it stale, never wrongly current (flushes, never commits; records the audit event)."""
    version = data_version(db, project)
    report = service.quality_report(
        db, project, method=options.method, n_boot=options.bootstrap, threshold=options.threshold
    ).to_dict()
    row = db.scalar(
        lock_for_update(
            db,
            select(QualityReportCache).where(
                QualityReportCache.project_id == project.id, QualityReportCache.options == options.key
            ),
        )
    )
    if row is None:
        row = QualityReportCache(project_id=project.id, options=options.key)
        db.add(row)
    row.data_version, row.report, row.computed_at = version, report, utcnow()
    db.flush()
    record(
        db,
        None,
        "quality.report_cached",
        "project",
        project.id,
        project_id=project.id,
        data={"options": row.options, "data_version": row.data_version, "job": job_id},
    )
    return row
