"""Submitting, reading and cancelling jobs. A job's id reaches the queue only after the unit of work that
wrote its row commits: a rolled-back request leaves no row and enqueues nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from quorum.accounts.access import require_job, visible_jobs
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, Unavailable, field_error
from quorum.jobs.queue import QUEUE_INFO_KEY
from quorum.jobs.registry import require_kind
from quorum.jobs.runner import CANCELLED, FINISHED, TODO
from quorum.models import Job, Project, User

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled")
LIST_LIMIT = 200


def submit_job(
    db: Session,
    kind: str,
    *,
    owner: User,
    project: Project | None,
    params: dict[str, Any],
    total: int | None = None,
) -> Job:
    require_kind(kind)
    queue = db.info.get(QUEUE_INFO_KEY)
    if queue is None:
        raise Unavailable("no job queue is configured for this process")
    job = Job(
        kind=kind,
        owner_id=owner.id,
        project_id=project.id if project else None,
        status=TODO,
        params=params,
        progress_total=total,
    )
    db.add(job)
    db.flush()
    job_id = job.id

    def enqueue(_session: Session) -> None:
        queue.enqueue(job_id)

    # Only a commit sends the id; a rollback discards the listener with the row.
    event.listen(db, "after_commit", enqueue, once=True)
    event.listen(db, "after_rollback", lambda _s: _forget(db, enqueue), once=True)
    return job


def _forget(db: Session, enqueue: Any) -> None:
    if event.contains(db, "after_commit", enqueue):
        event.remove(db, "after_commit", enqueue)


def get_job(db: Session, user: User, job_id: int) -> Job:
    return require_job(db, user, job_id)


def list_jobs(
    db: Session, user: User, *, project: Project | None = None, status: str | None = None
) -> list[Job]:
    if status is not None and status not in STATUSES:
        raise Invalid(
            f"no job status {status!r}", [field_error("status", f"one of: {', '.join(STATUSES)}", at="query")]
        )
    query = visible_jobs(db, user)
    if project is not None:
        query = query.where(Job.project_id == project.id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(db.scalars(query.order_by(Job.id.desc()).limit(LIST_LIMIT)))


def cancel_job(db: Session, user: User, job_id: int) -> Job:
    """A job not started yet ends at once; a running one stops at its next batch."""
    job = require_job(db, user, job_id)
    if job.status in FINISHED:
        raise Conflict(f"job {job.id} already ended ({job.status})")
    job.cancel_requested = True
    if job.status == TODO:
        job.status = CANCELLED
        job.finished_at = job.updated_at = utcnow()
    db.flush()
    return job


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "project_id": job.project_id,
        "owner_id": job.owner_id,
        "status": job.status,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "params": job.params,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
