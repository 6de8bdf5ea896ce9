"""`POST …/items/import?background=true`: the file is kept for a worker, the answer is the job, and the
job does what the synchronous import does (immediate queue here; a real worker in test_jobs_processes)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from factories import jsonl, person, project, text_rows
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue, job_blobs


def _background(client: TestClient, pid: int, headers: dict[str, str], body: bytes) -> dict[str, object]:
    sent = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=body,
        params={"format": "jsonl", "background": "true"},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["kind"] == "import"
    job: dict[str, object] = client.get(f"/api/v1/jobs/{sent.json()['id']}", headers=headers).json()
    return job


def _kept(settings: Settings) -> list[Path]:
    root = job_blobs(settings).root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_background_import_reports_like_the_request_and_refuses_a_bad_file_whole(
    client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    manager = person(database, "boss")
    pid = project(database, members={manager: "manager"})

    job = _background(client, pid, manager.headers, jsonl(text_rows(3)))
    assert (job["status"], job["result"]) == (
        "succeeded",
        {"total": 3, "created": 3, "updated": 0, "unchanged": 0, "generation_job_id": None},
    )
    again = _background(client, pid, manager.headers, jsonl([*text_rows(3)[:2], *text_rows(1, "new")]))
    assert again["result"] == {
        "total": 3,
        "created": 1,
        "updated": 0,
        "unchanged": 2,
        "generation_job_id": None,
    }

    # Row 2 is bad: the job fails with the same row/field errors a 422 would carry, and writes nothing.
    bad = [*text_rows(2, "late"), {"external_id": "x", "payload": {"text": 5}}, {"payload": {}, "color": 1}]
    failed = _background(client, pid, manager.headers, jsonl(bad))
    assert failed["status"] == "failed"
    error = failed["result"]["error"]  # type: ignore[index]
    assert error["code"] == "invalid" and "2 of 4 rows are invalid" in error["message"]
    assert {(d["row"], d["field"]) for d in error["details"]} == {(3, "payload.text"), (4, "color")}
    items = client.get(f"/api/v1/projects/{pid}/items", headers=manager.headers).json()["items"]
    assert sorted(i["external_id"] for i in items) == ["new0", "t0", "t1", "t2"]
    # Each uploaded file is gone once its job has ended, however it ended.
    assert _kept(settings) == []


def test_a_background_import_checks_access_and_format_before_any_job(
    client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, members={manager: "manager", annotator: "annotator"})
    url = f"/api/v1/projects/{pid}/items/import"
    forbidden = client.post(
        url, content=jsonl(text_rows(1)), params={"background": "true"}, headers=annotator.headers
    )
    assert forbidden.status_code == 403
    unknown = client.post(url, content=b"plain words", params={"background": "true"}, headers=manager.headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "format"
    assert client.get("/api/v1/jobs", headers=manager.headers).json() == []
    assert _kept(settings) == []
