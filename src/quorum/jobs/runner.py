"""Running one delivered job id: claim the row, run its body, record how it ended. Safe to deliver twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quorum.db import Database
from quorum.db.types import utcnow
from quorum.errors import QuorumError
from quorum.jobs.registry import Cancelled, JobContext, Transient, handler_for
from quorum.models import Job

TODO, DOING, SUCCEEDED, FAILED, CANCELLED = "todo", "doing", "succeeded", "failed", "cancelled"
FINISHED = frozenset({SUCCEEDED, FAILED, CANCELLED})
MAX_ATTEMPTS = 3
# A ``doing`` job whose body has not reported for this long lost its worker: a re-delivery takes it over.
STALE_AFTER = timedelta(minutes=5)


def _claim(database: Database, job_id: int, stale_after: timedelta) -> bool:
    """Mark the job ``doing`` (one more attempt) unless it is finished, cancelled, or alive elsewhere."""
    with database.session() as db:
        job = db.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return False
        now = utcnow()
        if job.status == DOING and now - job.updated_at < stale_after:
            return False
        if job.cancel_requested:
            _end(job, CANCELLED)
            return False
        job.status, job.attempts, job.updated_at = DOING, job.attempts + 1, now
        job.started_at = job.started_at or now
        return True


def _end(job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    job.status, job.result, job.error = status, result, error
    job.finished_at = job.updated_at = utcnow()


def _record(
    database: Database,
    job_id: int,
    status: str,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    with database.session() as db:
        job = db.get(Job, job_id, with_for_update=True)
        if job is None:
            return
        if status == TODO:
            job.status, job.error, job.updated_at = TODO, error, utcnow()
        else:
            _end(job, status, result=result, error=error)


def run_job(database: Database, job_id: int, *, stale_after: timedelta = STALE_AFTER) -> None:
    """The body of the queue's one task. A ``Transient`` error is raised again (after the row is back to
    ``todo``) so the queue retries it with backoff, until ``MAX_ATTEMPTS``."""
    if not _claim(database, job_id, stale_after):
        return
    attempts = 0
    try:
        with database.sessionmaker() as db:
            db.info.update(database.session_info)
            job = db.get(Job, job_id)
            if job is None:
                return
            handler = handler_for(job.kind)
            if handler is None:
                _end(job, FAILED, error=f"no handler for job kind {job.kind!r}")
                db.commit()
                return
            attempts = job.attempts
            result = handler(JobContext(db, job), job)
            db.refresh(job)
            _end(job, SUCCEEDED, result=result or {})
            db.commit()
    except Cancelled:
        _record(database, job_id, CANCELLED)
    except Transient as exc:
        if attempts >= MAX_ATTEMPTS:
            _record(database, job_id, FAILED, f"gave up after {attempts} attempts: {exc}")
            return
        _record(database, job_id, TODO, f"attempt {attempts}: {exc}")
        raise
    except QuorumError as exc:
        # The domain's refusal, as the API would answer it: an import's rows and fields stay readable.
        _record(database, job_id, FAILED, f"{type(exc).__name__}: {exc}", result=exc.to_dict())
    except Exception as exc:
        _record(database, job_id, FAILED, f"{type(exc).__name__}: {exc}")
