"""Workers as real processes, where the process is the point: `quorum worker` runs what the API queued
and stops on Ctrl-C; `quorum serve --with-worker` runs jobs with no worker of its own."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from factories import import_rows, jsonl, person, project, text_rows
from live_server import live_server
from quorum.db import Database

# A process costs seconds of start-up: these run on SQLite only; the job code under them runs on both
# databases in test_jobs*.py.
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _wait_done(get: object, job_id: int, headers: dict[str, str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, object] = get(f"/api/v1/jobs/{job_id}", headers=headers).json()  # type: ignore[operator]
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_quorum_worker_runs_a_queued_export_and_stops_on_ctrl_c(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    manager = person(database, "boss")
    pid = project(database, members={manager: "manager"})
    import_rows(client, manager, pid, text_rows(4))
    job_id = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    ).json()["id"]
    env = {**os.environ, "QUORUM_DATABASE_URL": database.url, "QUORUM_DATA_DIR": str(tmp_path)}
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "quorum", "worker", "--concurrency", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            job = _wait_done(client.get, job_id, manager.headers)
        finally:
            worker.send_signal(signal.SIGINT)
            code = worker.wait(timeout=20)
    assert job["status"] == "succeeded", (job, (tmp_path / "worker.log").read_text())
    assert code == 0, (tmp_path / "worker.log").read_text()
    got = client.get(f"/api/v1/jobs/{job_id}/download", headers=manager.headers)
    assert pq.read_table(io.BytesIO(got.content)).num_rows == 4


def test_serve_with_worker_runs_jobs_in_the_server_process(database: Database, tmp_path: Path) -> None:
    manager = person(database, "boss")
    pid = project(database, members={manager: "manager"})
    with (
        live_server(database.url, tmp_path, "--with-worker") as live,
        httpx.Client(base_url=live.url, timeout=10) as http,
    ):
        imported = http.post(
            f"/api/v1/projects/{pid}/items/import",
            content=jsonl(text_rows(2)),
            params={"format": "jsonl"},
            headers=manager.headers,
        )
        assert imported.status_code == 201
        job_id = http.post(
            f"/api/v1/projects/{pid}/exports",
            json={"format": "jsonl", "output": "parquet"},
            headers=manager.headers,
        ).json()["id"]
        job = _wait_done(http.get, job_id, manager.headers)
        assert job["status"] == "succeeded" and job["result"]["rows"] == 2, (job, live.output())  # type: ignore[index]
