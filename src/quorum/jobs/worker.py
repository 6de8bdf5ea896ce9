"""Starting workers: a consumer over the configured queue, after re-sending the ids of jobs a dead
worker left behind (a queue message is gone once delivered, so a worker killed mid-job loses it)."""

from __future__ import annotations

from huey.consumer import Consumer
from sqlalchemy import and_, or_, select

from quorum.config import Settings
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.jobs.queue import JobQueue, build_queue
from quorum.jobs.runner import DOING, TODO
from quorum.models import Job
from quorum.providers import stored_keys


def resume_unfinished(database: Database, queue: JobQueue) -> int:
    """Enqueue every job not started and every ``doing`` one gone quiet; a duplicate delivery is a no-op."""
    stale_after = queue.stale_after
    with database.session() as db:
        ids = list(
            db.scalars(
                select(Job.id)
                .where(
                    or_(
                        Job.status == TODO, and_(Job.status == DOING, Job.updated_at < utcnow() - stale_after)
                    )
                )
                .order_by(Job.id)
            )
        )
    for job_id in ids:
        queue.enqueue(job_id)
    return len(ids)


def consumer(settings: Settings, database: Database, *, workers: int) -> Consumer:
    # Job bodies call models whose keys may be stored encrypted under this installation's secret.
    stored_keys.use_settings(settings)
    queue = build_queue(settings, database)
    resume_unfinished(database, queue)
    return queue.consumer(workers=workers)
