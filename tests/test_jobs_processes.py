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

from cli_runner import quorum_command
from factories import import_rows, jsonl, person, project, text_rows, write_jsonl
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


def test_quorum_worker_runs_queued_jobs_and_stops_on_ctrl_c(
    client: TestClient, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export the API queued, and background imports the CLI follows (one refused whole) and the API
    queued: one worker process for all, since each costs seconds to start."""
    manager = person(database, "boss")
    pid = project(database, members={manager: "manager"})
    import_rows(client, manager, pid, text_rows(4))
    job_id = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    ).json()["id"]
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    write_jsonl(good, text_rows(6))
    write_jsonl(bad, [*text_rows(1, "b"), {"external_id": "x", "payload": {"text": 5}}])
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
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
            done = quorum("import", str(pid), str(good), "--background", "--owner", "boss")
            refused = quorum("import", str(pid), str(bad), "--background", "--owner", "boss", ok=False)
            sent = client.post(
                f"/api/v1/projects/{pid}/items/import",
                content=jsonl(text_rows(7)),
                params={"format": "jsonl", "background": "true"},
                headers=manager.headers,
            )
            imported = _wait_done(client.get, sent.json()["id"], manager.headers)
        finally:
            worker.send_signal(signal.SIGINT)
            code = worker.wait(timeout=20)
    log_text = (tmp_path / "worker.log").read_text()
    assert job["status"] == "succeeded", (job, log_text)
    assert code == 0, log_text
    got = client.get(f"/api/v1/jobs/{job_id}/download", headers=manager.headers)
    assert pq.read_table(io.BytesIO(got.content)).num_rows == 4
    assert "succeeded" in done.stdout and "6/6" in done.stdout, (done, log_text)
    assert refused.returncode == 1 and "row 2: payload.text" in refused.stderr, (refused, log_text)
    assert (imported["status"], imported["result"]) == (
        "succeeded",
        {"total": 7, "created": 1, "updated": 0, "unchanged": 6, "generation_job_id": None},
    )


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
