"""The job system through its services and a real queue: the after-commit rule, running in immediate mode
and under a real consumer, progress and cancel, retries, re-delivery, stale workers, and who sees what."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import person, project
from quorum.accounts import service as accounts
from quorum.config import Settings
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.errors import NotFound
from quorum.jobs import service as jobs
from quorum.jobs.queue import JobQueue, build_queue
from quorum.jobs.registry import JobContext, Transient, register
from quorum.jobs.runner import run_job
from quorum.jobs.worker import resume_unfinished
from quorum.models import Job, Project

CALLS: dict[str, int] = {}
# The batches body cancels through its own unit of work, as a user would from another request.
DATABASES: dict[str, Database] = {}


@register("test.batches")
def _batches(ctx: JobContext, job: Job) -> dict[str, Any]:
    """Ten batches; at the batch named by ``cancel_at`` the owner cancels from another unit of work."""
    database = DATABASES["current"]
    for done in range(1, 11):
        ctx.check_cancelled()
        CALLS["batches"] = done
        ctx.progress(done, 10)
        if done == job.params.get("cancel_at"):
            with database.session() as db:
                jobs.cancel_job(db, accounts.get_user(db, "owner"), job.id)
    return {"batches": 10}


@register("test.flaky")
def _flaky(ctx: JobContext, job: Job) -> dict[str, Any]:
    CALLS["flaky"] = CALLS.get("flaky", 0) + 1
    if job.attempts < 2:
        raise Transient("the service was busy")
    return {"attempts": job.attempts}


@register("test.broken")
def _broken(ctx: JobContext, job: Job) -> None:
    raise ValueError("bad data in row 3")


@pytest.fixture
def queue(database: Database, tmp_path: Path) -> JobQueue:
    return build_queue(
        Settings(data_dir=tmp_path, database_url=database.url), database, immediate=True, retry_delay=0
    )


@pytest.fixture(autouse=True)
def _database_in_jobs(database: Database) -> None:
    DATABASES["current"] = database
    CALLS.clear()


def submit(database: Database, kind: str, params: dict[str, Any] | None = None) -> int:
    with database.session() as db:
        owner = accounts.get_user(db, "owner")
        return jobs.submit_job(db, kind, owner=owner, project=None, params=params or {}).id


def job(database: Database, job_id: int) -> Job:
    with database.session() as db:
        found = db.get(Job, job_id)
        if found is None:
            raise AssertionError(f"no job {job_id}")
        return found


def test_a_rolled_back_unit_of_work_leaves_no_job_and_enqueues_nothing(
    database: Database, tmp_path: Path
) -> None:
    person(database, "owner")
    queue = build_queue(Settings(data_dir=tmp_path, database_url=database.url), database)

    def failing_request() -> None:
        with database.session() as db:
            jobs.submit_job(db, "test.batches", owner=accounts.get_user(db, "owner"), project=None, params={})
            raise RuntimeError("the request failed after creating the job")

    with pytest.raises(RuntimeError):
        failing_request()
    with database.session() as db:
        assert db.query(Job).count() == 0
    assert queue.huey.pending_count() == 0
    job_id = submit(database, "test.batches")
    assert queue.huey.pending_count() == 1
    assert job(database, job_id).status == "todo"


def test_a_savepoint_inside_the_unit_of_work_neither_sends_nor_forgets_the_job(
    database: Database, tmp_path: Path
) -> None:
    """``begin_nested`` fires the session's commit and rollback events at its release and its rollback:
    the id must still reach the queue exactly once, at the outer commit, and never after an outer rollback."""
    person(database, "owner")
    queue = build_queue(Settings(data_dir=tmp_path, database_url=database.url), database)
    with database.session() as db:
        job_id = jobs.submit_job(
            db, "test.batches", owner=accounts.get_user(db, "owner"), project=None, params={}
        ).id
        with db.begin_nested():
            db.flush()
        assert queue.huey.pending_count() == 0
        with contextlib.suppress(RuntimeError), db.begin_nested():
            raise RuntimeError("a savepoint rolled back")
        assert queue.huey.pending_count() == 0
    assert queue.huey.pending_count() == 1
    assert job(database, job_id).status == "todo"

    def failing_request() -> None:
        with database.session() as db:
            jobs.submit_job(db, "test.batches", owner=accounts.get_user(db, "owner"), project=None, params={})
            with db.begin_nested():
                db.flush()
            raise RuntimeError("the request failed after a savepoint")

    with pytest.raises(RuntimeError):
        failing_request()
    assert queue.huey.pending_count() == 1


def test_a_job_runs_to_succeeded_through_a_real_consumer(database: Database, tmp_path: Path) -> None:
    person(database, "owner")
    queue = build_queue(Settings(data_dir=tmp_path, database_url=database.url), database)
    job_id = submit(database, "test.batches")
    consumer = queue.consumer(workers=2)
    consumer.start()
    try:
        deadline = time.monotonic() + 10
        while job(database, job_id).status != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    done = job(database, job_id)
    assert (done.status, done.result, done.progress_done, done.attempts) == (
        "succeeded",
        {"batches": 10},
        10,
        1,
    )
    assert done.started_at is not None and done.finished_at is not None


def test_immediate_mode_runs_at_commit_and_records_progress(database: Database, queue: JobQueue) -> None:
    person(database, "owner")
    done = job(database, submit(database, "test.batches"))
    assert (done.status, done.progress_done, done.progress_total) == ("succeeded", 10, 10)


def test_cancel_stops_a_running_job_at_its_next_batch(database: Database, queue: JobQueue) -> None:
    person(database, "owner")
    done = job(database, submit(database, "test.batches", {"cancel_at": 3}))
    assert (done.status, done.progress_done, CALLS["batches"]) == ("cancelled", 3, 3)
    assert done.finished_at is not None and done.result is None


def test_a_transient_error_is_retried_then_succeeds(database: Database, queue: JobQueue) -> None:
    person(database, "owner")
    done = job(database, submit(database, "test.flaky"))
    assert (done.status, done.attempts, done.result, CALLS["flaky"]) == ("succeeded", 2, {"attempts": 2}, 2)


def test_any_other_error_fails_the_job_with_its_message(database: Database, queue: JobQueue) -> None:
    person(database, "owner")
    done = job(database, submit(database, "test.broken"))
    assert (done.status, done.attempts, done.error) == ("failed", 1, "ValueError: bad data in row 3")


def test_a_finished_job_delivered_again_is_not_run_again(database: Database, queue: JobQueue) -> None:
    person(database, "owner")
    job_id = submit(database, "test.flaky")
    run_job(database, job_id)
    run_job(database, job_id)
    assert (job(database, job_id).attempts, CALLS["flaky"]) == (2, 2)


def test_a_doing_job_is_taken_over_only_when_its_worker_went_quiet(
    database: Database, tmp_path: Path
) -> None:
    person(database, "owner")
    build_queue(Settings(data_dir=tmp_path, database_url=database.url), database)
    job_id = submit(database, "test.batches")
    with database.session() as db:
        row = db.get(Job, job_id)
        assert row is not None
        row.status, row.attempts, row.updated_at = "doing", 1, utcnow()
    run_job(database, job_id)
    assert job(database, job_id).status == "doing"
    with database.session() as db:
        row = db.get(Job, job_id)
        assert row is not None
        row.updated_at = utcnow() - timedelta(hours=1)
    run_job(database, job_id)
    assert (job(database, job_id).status, job(database, job_id).attempts) == ("succeeded", 2)


def test_only_the_owner_managers_and_admins_see_a_job(database: Database, queue: JobQueue) -> None:
    owner, manager, other = person(database, "owner"), person(database, "boss"), person(database, "other")
    person(database, "root", admin=True)
    pid = project(database, members={owner: "annotator", manager: "manager", other: "annotator"})
    with database.session() as db:
        user = accounts.get_user(db, "owner")
        proj = db.get(Project, pid)
        job_id = jobs.submit_job(db, "test.broken", owner=user, project=proj, params={}).id
    with database.session() as db:
        for name in ("owner", "boss", "root"):
            assert jobs.get_job(db, accounts.get_user(db, name), job_id).id == job_id
            assert [j.id for j in jobs.list_jobs(db, accounts.get_user(db, name))] == [job_id]
        with pytest.raises(NotFound):
            jobs.get_job(db, accounts.get_user(db, "other"), job_id)
        with pytest.raises(NotFound):
            jobs.cancel_job(db, accounts.get_user(db, "other"), job_id)
        assert jobs.list_jobs(db, accounts.get_user(db, "other")) == []


def test_a_starting_worker_resends_jobs_left_unstarted_or_by_a_dead_worker(
    database: Database, tmp_path: Path
) -> None:
    person(database, "owner")
    queue = build_queue(Settings(data_dir=tmp_path, database_url=database.url), database)
    left, dead, alive, ended = (submit(database, "test.batches") for _ in range(4))
    with database.session() as db:
        for job_id, status, age in (
            (dead, "doing", timedelta(hours=1)),
            (alive, "doing", timedelta()),
            (ended, "failed", timedelta(hours=1)),
        ):
            row = db.get(Job, job_id)
            assert row is not None
            row.status, row.updated_at = status, utcnow() - age
    queue.huey.flush()
    assert resume_unfinished(database, queue) == 2
    assert sorted(task.args[0] for task in queue.huey.pending()) == [left, dead]
