"""The export job end to end over the API: submit, the job runs (immediate queue), download the file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cli_runner import quorum_command
from factories import import_rows, person, project, text_rows
from quorum.config import Settings
from quorum.db import Database
from quorum.exports import jobs as export_jobs
from quorum.jobs.queue import attach, build_queue


def test_parquet_and_datasets_exports_run_as_jobs_and_download(
    client: TestClient, database: Database, settings: Settings, tmp_path: Path
) -> None:
    build_queue(settings, database, immediate=True)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    import_rows(client, manager, pid, text_rows(3))

    created = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    job = client.get(f"/api/v1/jobs/{job_id}", headers=manager.headers).json()
    assert (job["status"], job["kind"], job["result"]["rows"], job["progress"]) == (
        "succeeded",
        "export",
        3,
        {"done": 3, "total": 3},
    )
    got = client.get(f"/api/v1/jobs/{job_id}/download", headers=manager.headers)
    assert got.status_code == 200 and got.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(got.content))
    assert sorted(table.column("external_id").to_pylist()) == ["t0", "t1", "t2"]
    # The file is the owner's and managers': an annotator gets the 404 of a missing job, and the
    # uploads route does not serve it.
    assert client.get(f"/api/v1/jobs/{job_id}/download", headers=annotator.headers).status_code == 404
    assert client.get(f"/blobs/{job['result']['blob']}", headers=annotator.headers).status_code == 404

    hf = client.post(
        f"/api/v1/projects/{pid}/exports", json={"format": "jsonl", "output": "hf"}, headers=manager.headers
    )
    folder = client.get(f"/api/v1/jobs/{hf.json()['id']}/download", headers=manager.headers)
    assert folder.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(folder.content)) as archive:
        assert "dataset_info.json" in archive.namelist()


def test_a_bad_export_request_creates_no_job(
    client: TestClient, database: Database, settings: Settings
) -> None:
    queue = build_queue(settings, database)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    bad_output = client.post(
        f"/api/v1/projects/{pid}/exports", json={"format": "jsonl", "output": "csv"}, headers=manager.headers
    )
    assert bad_output.status_code == 422 and bad_output.json()["error"]["details"][0]["field"] == "output"
    bad_format = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "nope", "output": "parquet"},
        headers=manager.headers,
    )
    assert bad_format.status_code == 422
    forbidden = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=annotator.headers,
    )
    assert forbidden.status_code == 403
    assert client.get("/api/v1/jobs", headers=manager.headers).json() == []
    assert queue.huey.pending_count() == 0
    pending = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    ).json()
    assert queue.huey.pending_count() == 1
    assert client.get(f"/api/v1/jobs/{pending['id']}/download", headers=manager.headers).status_code == 409


def test_the_jobs_page_lists_the_project_jobs_with_their_download(
    client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    import_rows(client, manager, pid, text_rows(2))
    job_id = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    ).json()["id"]

    assert client.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
    theirs = client.get(f"/projects/{pid}/jobs")
    assert (
        theirs.status_code == 200
        and 'id="jobs-empty"' in theirs.text
        and f'data-job="{job_id}"' not in theirs.text
    )
    client.cookies.clear()
    assert client.post("/login", data={"username": "boss", "password": "correct horse"}).status_code == 200
    page = client.get(f"/projects/{pid}/jobs").text
    assert f'<tr data-job="{job_id}" data-running="no">' in page
    assert f'href="/api/v1/jobs/{job_id}/download"' in page and '<script src="/static/jobs.js" defer>' in page
    assert f'href="/projects/{pid}/jobs" class="current"' in page
    assert client.get("/static/jobs.js").status_code == 200


def test_the_cli_writes_parquet_and_datasets_with_the_jobs_writer(
    client: TestClient,
    database: Database,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``quorum export --parquet/--hf`` runs the export job's writer in-process: the same rows as the job's
    file, at the path given, with no worker; ``--pseudonymize`` still applies."""
    build_queue(settings, database, immediate=True)
    calls: list[str] = []
    real = export_jobs.write_output

    def spy(*args: Any, **kwargs: Any) -> int:
        calls.append(args[3]["output"])
        return real(*args, **kwargs)

    monkeypatch.setattr(export_jobs, "write_output", spy)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    import_rows(client, manager, pid, text_rows(3))
    job = client.post(
        f"/api/v1/projects/{pid}/exports",
        json={"format": "jsonl", "output": "parquet"},
        headers=manager.headers,
    ).json()
    from_job = pq.read_table(
        io.BytesIO(client.get(f"/api/v1/jobs/{job['id']}/download", headers=manager.headers).content)
    )
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    out = tmp_path / "cli.parquet"
    quorum("export", str(pid), "--format", "jsonl", "--out", str(out), "--parquet", "--pseudonymize")
    from_cli = pq.read_table(out)
    assert from_cli.column_names == from_job.column_names
    assert sorted(from_cli.column("external_id").to_pylist()) == ["t0", "t1", "t2"]
    folder = tmp_path / "cli-dataset"
    quorum("export", str(pid), "--format", "jsonl", "--out", str(folder), "--hf")
    assert (folder / "dataset_info.json").exists()
    assert calls == ["parquet", "parquet", "hf"]


class _Held:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def test_post_jobs_submits_a_kind_that_accepts_requests(
    client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    import_rows(client, manager, pid, text_rows(2))
    body = {"kind": "export", "project": str(pid), "params": {"format": "jsonl", "output": "parquet"}}
    created = client.post("/api/v1/jobs", json=body, headers=manager.headers)
    assert created.status_code == 202, created.text
    job = client.get(f"/api/v1/jobs/{created.json()['id']}", headers=manager.headers).json()
    assert (job["status"], job["result"]["rows"], job["label"]) == (
        "succeeded",
        2,
        "Export (Parquet / datasets)",
    )
    assert job["summary"].startswith("2 rows, ")
    # Managers only; params checked by the kind; no job from a refused request.
    assert client.post("/api/v1/jobs", json=body, headers=annotator.headers).status_code == 403
    bad = client.post(
        "/api/v1/jobs",
        json={**body, "params": {"format": "jsonl", "output": "csv"}},
        headers=manager.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "output"
    missing = client.post("/api/v1/jobs", json={**body, "params": {}}, headers=manager.headers)
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "params"
    assert len(client.get("/api/v1/jobs", headers=manager.headers).json()) == 1
    # A kind that keeps one pending job per project answers with the pending one.
    held = _Held()
    attach(database, held)
    refit = {"kind": "consensus_refit", "project": str(pid)}
    first = client.post("/api/v1/jobs", json=refit, headers=manager.headers).json()
    again = client.post("/api/v1/jobs", json=refit, headers=manager.headers).json()
    assert first["id"] == again["id"] and first["status"] == "todo" and held.ids == [first["id"]]
    extra = client.post("/api/v1/jobs", json={**refit, "params": {"x": 1}}, headers=manager.headers)
    assert extra.status_code == 422 and extra.json()["error"]["details"][0]["field"] == "params"
