"""The Huey queue, built from settings: SqliteHuey under the data dir (no server), RedisHuey when
``QUORUM_REDIS_URL`` is set, immediate (in-process, synchronous) only when a test asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from quorum.blobs.store import LocalBlobStore
from quorum.config import Settings
from quorum.consensus import jobs as consensus_jobs
from quorum.critiques import jobs as critique_jobs
from quorum.db import Database
from quorum.embeddings import jobs as embedding_jobs
from quorum.exports import jobs as export_jobs
from quorum.generation import jobs as generation_jobs
from quorum.items import jobs as import_jobs
from quorum.items import search_jobs
from quorum.jobs import runner
from quorum.jobs.registry import BLOBS_INFO_KEY, QUEUE_INFO_KEY, SETTINGS_INFO_KEY
from quorum.judges import jobs as judge_jobs
from quorum.quality import jobs as quality_jobs
from quorum.reward import jobs as reward_jobs
from quorum.suggestions import jobs as suggestion_jobs
from quorum.synthetic import jobs as synthetic_jobs

# Every job kind registers itself when imported; a worker runs the kinds listed here.
KINDS = (
    export_jobs.KIND,
    import_jobs.KIND,
    consensus_jobs.KIND,
    quality_jobs.KIND,
    synthetic_jobs.KIND,
    generation_jobs.KIND,
    suggestion_jobs.KIND,
    reward_jobs.TRAIN,
    reward_jobs.SCORE,
    judge_jobs.KIND,
    critique_jobs.KIND,
    embedding_jobs.KIND,
    search_jobs.KIND,
)


@dataclass
class JobQueue:
    huey: Huey
    task: TaskWrapper
    stale_after: timedelta = runner.STALE_AFTER

    def enqueue(self, job_id: int) -> None:
        self.task(job_id)

    def consumer(self, *, workers: int = 1) -> Consumer:
        """Worker threads over this queue; ``start()`` runs them in the background, ``run()`` blocks."""
        return self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.5
        )


def make_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    if settings.redis_url:
        return RedisHuey("quorum", url=settings.redis_url, immediate=immediate)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("quorum", filename=str(settings.data_dir / "queue.db"), immediate=immediate)


def build_queue(
    settings: Settings, database: Database, *, immediate: bool = False, retry_delay: float = 2.0
) -> JobQueue:
    """The queue with its one task, ``run_job(job_id)``; transient failures come back after
    ``retry_delay`` seconds, doubling each time. The queue is attached to ``database`` so that every unit
    of work it opens can submit jobs."""
    huey = make_huey(settings, immediate=immediate)
    stale_after = timedelta(seconds=settings.job_stale_seconds)

    def run(job_id: int) -> None:
        runner.run_job(database, job_id, stale_after=stale_after)

    task = huey.task(retries=runner.MAX_ATTEMPTS, retry_delay=retry_delay, retry_backoff=2, name="run_job")(
        run
    )
    queue = JobQueue(huey, task, stale_after)
    attach(database, queue)
    # Job results live apart from uploaded images: ``GET /blobs/{key}`` serves any signed-in user, while
    # a job's file is for its owner and managers only (``GET /api/v1/jobs/{id}/download``).
    database.session_info[BLOBS_INFO_KEY] = job_blobs(settings)
    database.session_info[SETTINGS_INFO_KEY] = settings
    return queue


def job_blobs(settings: Settings) -> LocalBlobStore:
    return LocalBlobStore(settings.resolved_blob_dir() / "jobs")


def attach(database: Database, queue: Any) -> None:
    database.session_info[QUEUE_INFO_KEY] = queue
