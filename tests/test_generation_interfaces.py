"""Generation through the CLI (the `quorum generate` contract), the manager's page, and automatic
generation after an import (only after it commits)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cli_runner import quorum_command
from factories import jsonl, person
from fake_openai import FakeOpenAI
from generation_support import add_model, fake, items, prompts, setup
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs import cli as jobs_cli
from quorum.jobs import queue as jobs_queue
from quorum.jobs.queue import build_queue
from quorum.providers import openai_compatible

__all__ = ["fake"]


def test_cli_generate_prints_the_job_id_and_wait_gives_the_exit_status(
    client: TestClient, database: Database, fake: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 2)
    person(database, "root", admin=True)
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    # A worker would run the job later; here the queue runs it as soon as the command commits.
    monkeypatch.setattr(
        jobs_cli, "build_queue", lambda st, db: jobs_queue.build_queue(st, db, immediate=True)
    )

    ran = quorum("generate", "gen", "--model", "a", "--model", "b", "--samples", "1", "--wait")
    job_id = int(ran.stdout.splitlines()[0])
    assert ran.stdout.splitlines()[1].split()[:3] == [str(job_id), "generate", "succeeded"]
    assert all(i["status"] == "open" for i in items(client, s))

    monkeypatch.setenv("FAKE_KEY", "sk-wrong")
    failed = quorum("generate", "gen", "--model", "a", "--model", "b", "--items", "all", "--params",
                    '{"temperature": 0.3}', "--wait", ok=False)  # fmt: skip
    assert failed.returncode == 1 and "failed" in failed.stdout
    unknown = quorum("generate", "gen", "--model", "nope", ok=False)
    assert unknown.returncode != 0 and "models.0" in unknown.stderr + unknown.stdout
    # Without --wait the id is printed and the job left to the worker.
    monkeypatch.setattr(jobs_cli, "build_queue", jobs_queue.build_queue)
    queued = quorum("generate", "gen", "--model", "a", "--model", "b", "--items", "all")
    assert queued.stdout.strip().isdigit()


def test_the_page_submits_a_job_and_links_to_the_jobs_page(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 2)
    assert client.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
    assert client.get(f"/projects/{s.pid}/generate").status_code == 403
    client.cookies.clear()
    assert client.post("/login", data={"username": "boss", "password": "correct horse"}).status_code == 200
    page = client.get(f"/projects/{s.pid}/generate")
    assert page.status_code == 200 and 'name="models" value="a"' in page.text and "<script>" not in page.text
    assert 'id="awaiting-count">2<' in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form: dict[str, Any] = {
        "csrf_token": token,
        "models": ["a", "b"],
        "samples": "1",
        "temperature": "0.5",
        "seed": "3",
    }
    done = client.post(f"/projects/{s.pid}/generate", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/projects/{s.pid}/jobs")
    assert all(i["status"] == "open" for i in items(client, s))
    bad = client.post(f"/projects/{s.pid}/generate", data={**form, "temperature": "9"})
    assert bad.status_code == 422 and "params.temperature" in bad.text
    assert client.post(f"/projects/{s.pid}/generate", data={**form, "csrf_token": "x"}).status_code == 403


def test_auto_generation_runs_after_an_import_commits_and_never_after_a_failed_one(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    queue = build_queue(settings, database)
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 0)
    auto = client.put(
        f"/api/v1/projects/{s.pid}/generations/auto", json={"models": ["a", "b"]}, headers=s.manager.headers
    )
    assert auto.status_code == 200 and auto.json()["auto_generate"]["owner_id"] == s.manager.id
    bad_rows = [*prompts(2), {"external_id": "bad", "payload": {"messages": []}}]
    r = client.post(f"/api/v1/projects/{s.pid}/items/import", content=jsonl(bad_rows), params={"format": "jsonl"},
                    headers=s.manager.headers)  # fmt: skip
    assert r.status_code == 422
    assert (
        client.get("/api/v1/jobs", headers=s.manager.headers).json() == [] and queue.huey.pending_count() == 0
    )

    build_queue(settings, database, immediate=True)
    r = client.post(f"/api/v1/projects/{s.pid}/items/import", content=jsonl(prompts(2)), params={"format": "jsonl"},
                    headers=s.manager.headers)  # fmt: skip
    assert r.status_code == 201 and r.json()["generation_job_id"]
    job = client.get(f"/api/v1/jobs/{r.json()['generation_job_id']}", headers=s.manager.headers).json()
    assert job["status"] == "succeeded" and job["owner_id"] == s.manager.id
    assert [i["status"] for i in items(client, s)] == ["open", "open"]
    # An import with nothing awaiting submits nothing; turned off, nothing either.
    again = client.post(f"/api/v1/projects/{s.pid}/items/import", content=jsonl(prompts(2)), params={"format": "jsonl"},
                        headers=s.manager.headers)  # fmt: skip
    assert "generation_job_id" not in again.json() and again.json()["unchanged"] == 2
    assert [i["status"] for i in items(client, s)] == ["open", "open"]  # re-importing the prompts keeps them
    off = client.delete(f"/api/v1/projects/{s.pid}/generations/auto", headers=s.manager.headers)
    assert off.json() == {"auto_generate": None}
    bad_auto = client.put(
        f"/api/v1/projects/{s.pid}/generations/auto", json={"models": ["zzz"]}, headers=s.manager.headers
    )
    assert bad_auto.status_code == 422


def test_provider_clients_are_built_once_per_server_and_key(fake: FakeOpenAI) -> None:
    openai_compatible._client.cache_clear()
    first = openai_compatible.client_for(fake.url, "k", 60.0)
    assert openai_compatible.client_for(fake.url, "k", 60.0) is first
    assert openai_compatible.client_for(fake.url, "other", 60.0) is not first
    assert json.dumps(openai_compatible._client.cache_info()._asdict())
    # A batch's threads all asking at once (its first calls) still build one client, not one each.
    openai_compatible._client.cache_clear()
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda _: openai_compatible.client_for(fake.url, "k", 60.0), range(16)))
    assert len({id(c) for c in got}) == 1 and openai_compatible._client.cache_info().misses == 1
