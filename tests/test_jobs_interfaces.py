"""Jobs through the API and the CLI: listing, showing, cancelling, waiting, and who may see a job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cli_runner import quorum_command
from factories import person, project
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.jobs import service as jobs
from quorum.jobs.queue import attach
from quorum.jobs.registry import JobContext, register
from quorum.jobs.runner import run_job
from quorum.models import Job, Project


@register("test.count")
def _count(ctx: JobContext, job: Job) -> dict[str, Any]:
    ctx.progress(job.params["n"], job.params["n"])
    if job.params.get("fail"):
        raise RuntimeError("the count went wrong")
    return {"counted": job.params["n"]}


class Held:
    """A queue that holds ids until the test delivers them (as a worker would, later)."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def submit(database: Database, owner: str, pid: int | None, **params: Any) -> int:
    with database.session() as db:
        found = db.get(Project, pid) if pid is not None else None
        return jobs.submit_job(
            db, "test.count", owner=accounts.get_user(db, owner), project=found, params=params
        ).id


def test_api_lists_shows_and_cancels_jobs_for_those_who_may_see_them(
    client: TestClient, database: Database
) -> None:
    owner, boss, other = person(database, "owner"), person(database, "boss"), person(database, "other")
    pid = project(database, members={owner: "annotator", boss: "manager", other: "annotator"})
    attach(database, Held())
    job_id = submit(database, "owner", pid, n=3)

    listed = client.get("/api/v1/jobs", params={"project": pid, "status": "todo"}, headers=boss.headers)
    assert [j["id"] for j in listed.json()] == [job_id]
    assert client.get("/api/v1/jobs", headers=other.headers).json() == []
    assert client.get(f"/api/v1/jobs/{job_id}", headers=other.headers).status_code == 404
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=other.headers).status_code == 404
    bad = client.get("/api/v1/jobs", params={"status": "lost"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"

    shown = client.get(f"/api/v1/jobs/{job_id}", headers=owner.headers).json()
    assert (shown["kind"], shown["status"], shown["params"]) == ("test.count", "todo", {"n": 3})
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner.headers).json()
    assert cancelled["status"] == "cancelled"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner.headers).status_code == 409


@pytest.mark.parametrize("fail", [False, True])
def test_cli_list_show_cancel_and_wait(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    person(database, "owner")
    held = Held()
    attach(database, held)
    ran_id, kept_id = submit(database, "owner", None, n=5, fail=fail), submit(database, "owner", None, n=1)
    run_job(database, ran_id)
    waited = quorum("jobs", "wait", str(ran_id), ok=False)
    assert waited.returncode == (1 if fail else 0)
    assert ("failed" if fail else "succeeded") in waited.stdout

    listed = quorum("jobs", "list", "--status", "todo").stdout
    assert listed.split()[:3] == [str(kept_id), "test.count", "todo"]
    shown = quorum("jobs", "show", str(ran_id)).stdout
    assert ("RuntimeError: the count went wrong" in shown) if fail else ('"counted": 5' in shown)
    assert "cancelled" in quorum("jobs", "cancel", str(kept_id)).stdout
    assert quorum("jobs", "wait", str(kept_id), ok=False).returncode == 1
    assert quorum("jobs", "cancel", str(kept_id), ok=False).returncode == 2
    assert quorum("jobs", "show", "999", ok=False).returncode == 2
