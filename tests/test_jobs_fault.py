"""kill -9 of a worker in the middle of a 2,000-unit job, then another worker: the job finishes and every
unit is written exactly once (counted from the database), on both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

from sqlalchemy import select

import fault_kind
from quorum.accounts import service as accounts
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs import service as jobs
from quorum.jobs.queue import build_queue
from quorum.models import AuditEvent, Job

UNITS = 2000
STALE_S = 1
TESTS = Path(__file__).resolve().parent


def _worker(database: Database, data_dir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QUORUM_DATABASE_URL": database.url,
        "QUORUM_DATA_DIR": str(data_dir),
        "QUORUM_JOB_STALE_SECONDS": str(STALE_S),
    }
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import fault_kind; from quorum.cli import app; app(['worker'])"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT)


def _job(database: Database, job_id: int) -> Job:
    with database.session() as db:
        found = db.get(Job, job_id)
        if found is None:
            raise AssertionError(f"no job {job_id}")
        return found


def _until(database: Database, job_id: int, done: object, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(database, job_id)
        if done(job):  # type: ignore[operator]
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} stuck at {job.status} {job.progress_done}")


def test_a_killed_worker_s_job_finishes_on_the_next_with_each_unit_once(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database.url, job_stale_seconds=STALE_S)
    build_queue(settings, database)
    with database.session() as db:
        owner = accounts.create_user(db, "owner", password="correct horse")
        hold = tmp_path / "hold"
        params = {"units": UNITS, "hold": str(hold), "hold_at": UNITS // 2}
        job_id = jobs.submit_job(
            db, fault_kind.KIND, owner=owner, project=None, params=params, total=UNITS
        ).id
    log_path = tmp_path / "workers.log"
    hold.touch()
    with log_path.open("ab") as log:
        first = _worker(database, tmp_path, log)
        try:
            deadline = time.monotonic() + 30
            while not hold.with_suffix(".held").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        hold.unlink()
        killed_at = _job(database, job_id)
        assert (killed_at.status, killed_at.progress_done) == ("doing", UNITS // 2), log_path.read_text()[
            -3000:
        ]
        time.sleep(STALE_S + 0.1)

        second = _worker(database, tmp_path, log)
        try:
            done = _until(database, job_id, lambda j: j.status != "doing")
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(timeout=10)
    assert (done.status, done.attempts, done.progress_done) == ("succeeded", 2, UNITS), log_path.read_text()[
        -3000:
    ]
    with database.session() as db:
        units = Counter(
            e["unit"] for e in db.scalars(select(AuditEvent.data).where(AuditEvent.action == "unit"))
        )
    assert sorted(units) == list(range(UNITS)) and set(units.values()) == {1}
