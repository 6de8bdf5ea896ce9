"""Submitting, reading and cancelling jobs. A job's id reaches the queue only after the unit of work that
wrote its row commits: a rolled-back request leaves no row and enqueues nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from quorum.accounts.access import require_job, visible_jobs
from quorum.db.dialect import insert_unless_conflict
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, Unavailable, field_error
from quorum.jobs.registry import QUEUE_INFO_KEY, describe, require_kind, submittable
from quorum.jobs.runner import CANCELLED, DOING, FINISHED, TODO
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
    queue = _queue(db)
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
    _enqueue_after_commit(db, queue, job.id)
    return job


def submit_once(
    db: Session, kind: str, key: str, *, owner_id: int, project_id: int | None, params: dict[str, Any]
) -> int | None:
    """Submit a job unless one with ``key`` is still ``todo`` or ``doing``: the new job's id, or None.
    Race-safe: a partial unique index holds one pending job per key, and the loser's insert does nothing."""
    require_kind(kind)
    queue = _queue(db)
    now = utcnow()
    inserted = db.execute(
        insert_unless_conflict(db, Job.__table__)  # type: ignore[arg-type]
        .values(
            kind=kind,
            owner_id=owner_id,
            project_id=project_id,
            status=TODO,
            params=params,
            progress_done=0,
            attempts=0,
            cancel_requested=False,
            dedupe_key=key,
            created_at=now,
            updated_at=now,
        )
        .returning(Job.id)
    ).scalar()
    if inserted is None:
        return None
    _enqueue_after_commit(db, queue, inserted)
    return int(inserted)


def request_job(db: Session, user: User, kind: str, project: Project, params: dict[str, Any]) -> Job:
    """``POST /api/v1/jobs``: a job of a kind that accepts requests, its params checked by the kind. A kind
    that keeps one pending job per key answers with the pending one when there is one."""
    found = submittable(kind)
    checked = found.check(project, params) if found.check else params
    if found.key is None:
        return submit_job(db, kind, owner=user, project=project, params=checked)
    key = found.key(project, checked)
    new_id = submit_once(db, kind, key, owner_id=user.id, project_id=project.id, params=checked)
    job = db.get(Job, new_id) if new_id is not None else pending_job(db, key)
    if job is None:
        raise Conflict(f"a {kind} job for this project ended while being submitted; submit again")
    return job


def pending_job(db: Session, key: str) -> Job | None:
    """The ``todo`` or ``doing`` job holding ``key``, if any."""
    return db.scalar(select(Job).where(Job.dedupe_key == key, Job.status.in_((TODO, DOING))))


def has_queue(db: Session) -> bool:
    """Whether this process can submit jobs (a web server or worker can; a bare script may not)."""
    return db.info.get(QUEUE_INFO_KEY) is not None


def _queue(db: Session) -> Any:
    queue = db.info.get(QUEUE_INFO_KEY)
    if queue is None:
        raise Unavailable("no job queue is configured for this process")
    return queue


_LISTENERS_KEY = "jobs_after_commit"


def _enqueue_after_commit(db: Session, queue: Any, job_id: int) -> None:
    """Send ``job_id`` when the unit of work commits; a rollback forgets it. A savepoint's release or
    rollback (``begin_nested``) fires the same session events: those are ignored, since only the outermost
    transaction makes the row visible (a job row rolled back with its savepoint is a no-op for the runner).
    A listener cannot be removed while the event runs it, so a finished one only goes quiet and is removed
    at the session's next submit."""
    done = [False]

    def enqueue(session: Session) -> None:
        if not done[0] and not session.in_nested_transaction():
            done[0] = True
            queue.enqueue(job_id)

    def forget(session: Session) -> None:
        if not session.in_nested_transaction():
            done[0] = True

    listeners: list[tuple[list[bool], Any, Any]] = db.info.setdefault(_LISTENERS_KEY, [])
    for finished, old_enqueue, old_forget in [entry for entry in listeners if entry[0][0]]:
        event.remove(db, "after_commit", old_enqueue)
        event.remove(db, "after_rollback", old_forget)
        listeners.remove((finished, old_enqueue, old_forget))
    listeners.append((done, enqueue, forget))
    event.listen(db, "after_commit", enqueue)
    event.listen(db, "after_rollback", forget)


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
    label, summary = describe(job.kind, job.result if job.status == "succeeded" else None)
    return {
        "id": job.id,
        "kind": job.kind,
        "label": label,
        "summary": summary,
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
