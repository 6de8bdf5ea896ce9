"""Active learning through the CLI and the API: the `quorum rm` / `quorum active` contract, clear errors
for bad settings and too few labels, and a retrain by a real worker that never blocks next or submit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from active_support import label, planted_vector, rows, setup
from cli_runner import quorum_command
from factories import as_shown, next_task, person, project
from fake_openai import FakeOpenAI
from generation_support import fake
from quorum.config import Settings
from quorum.core.reward import acquire
from quorum.db import Database
from quorum.jobs import cli as jobs_cli
from quorum.jobs import queue as jobs_queue
from quorum.jobs.queue import build_queue
from quorum.reward import engine
from quorum.reward import settings as active_settings

__all__ = ["fake"]


def test_the_product_offers_exactly_the_librarys_strategies() -> None:
    assert active_settings.STRATEGIES == acquire.STRATEGIES


def test_cli_rm_and_active_commands_and_their_errors(
    client: TestClient,
    database: Database,
    fake: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.embed = planted_vector
    build_queue(Settings(data_dir=tmp_path, database_url=database.url), database, immediate=True)
    s = setup(client, database, fake.url, rows(30))
    person(database, "root", admin=True)
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    monkeypatch.setattr(
        jobs_cli, "build_queue", lambda st, db: jobs_queue.build_queue(st, db, immediate=True)
    )

    # Bad settings: exit 2 with the field named; nothing changes.
    for args, words in (
        (["--strategy", "uncertainty", "--control", "1.5"], "control_share"),
        (["--strategy", "uncertainty", "--control", "-0.1"], "control_share"),
        (["--strategy", "clever", "--control", "0.2"], "strategy"),
        (["--strategy", "margin", "--control", "0.2", "--batch", "0"], "batch_size"),
    ):
        bad = quorum("active", "set", "al", *args, ok=False)
        assert bad.returncode == 2 and words in bad.stderr, (args, bad.stderr)
    shown = json.loads(quorum("active", "show", "al").stdout)
    assert shown["strategy"] == "uncertainty" and shown["control_share"] == 0.2

    # Too few labels: a clear error, no job.
    few = quorum("rm", "train", "al", ok=False)
    assert few.returncode == 2 and "too few consensus labels" in few.stderr
    assert json.loads(quorum("rm", "status", "al", "--json").stdout)["version"] is None
    no_model = quorum("rm", "score", "al", ok=False)
    assert no_model.returncode == 2 and "no reward model" in no_model.stderr

    label(client, s.annotator, s.pid, 25)
    ran = quorum("rm", "train", "al", "--wait")
    job_id = int(ran.stdout.splitlines()[0])
    assert ran.stdout.splitlines()[1].split()[:3] == [str(job_id), "rm_train", "succeeded"]
    status = json.loads(quorum("rm", "status", "al", "--json").stdout)
    assert {"version", "labels", "accuracy", "accuracy_low", "accuracy_high"} <= set(status)
    assert status["version"] == 1 and status["accuracy_low"] <= status["accuracy"] <= status["accuracy_high"]
    assert "version 1:" in quorum("rm", "status", "al").stdout

    done = json.loads(
        quorum("active", "set", "al", "--strategy", "hybrid", "--control", "0.25", "--batch", "4").stdout
    )
    assert (done["strategy"], done["control_share"], done["batch_size"]) == ("hybrid", 0.25, 4)
    scored = quorum("rm", "score", "al", "--wait")
    assert "rm_score" in scored.stdout and "succeeded" in scored.stdout
    versions = [json.loads(line) for line in quorum("rm", "versions", "al").stdout.splitlines()]
    assert [v["version"] for v in versions] == [1]


def test_api_settings_errors_name_the_field_and_need_a_manager(
    client: TestClient, database: Database, fake: FakeOpenAI, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, rows(3))
    url = f"/api/v1/projects/{s.pid}/active"
    for body, field in (
        ({"control_share": 2}, "control_share"),
        ({"control_share": "half"}, "control_share"),
        ({"strategy": "clever"}, "strategy"),
        ({"batch_size": 0}, "batch_size"),
        ({"retrain_every": -3}, "retrain_every"),
        ({"surprise": 1}, "surprise"),
    ):
        r = client.put(url, json=body, headers=s.manager.headers)
        assert r.status_code == 422, (body, r.text)
        assert [d["field"] for d in r.json()["error"]["details"]] == [field], r.text
    assert client.put(url, json={"strategy": "margin"}, headers=s.annotator.headers).status_code == 403
    few = client.post(f"/api/v1/projects/{s.pid}/reward-model/train", headers=s.manager.headers)
    assert few.status_code == 422 and few.json()["error"]["details"][0]["field"] == "labels"
    # The manager's page before any version says how to train one; annotators may not see it.
    client.post("/login", data={"username": "ann", "password": "correct horse"})
    assert client.get(f"/projects/{s.pid}/active").status_code == 403
    client.cookies.clear()
    client.post("/login", data={"username": "boss", "password": "correct horse"})
    page = client.get(f"/projects/{s.pid}/active")
    assert (
        page.status_code == 200 and 'id="rm-empty"' in page.text and 'id="rm-selections-empty"' in page.text
    )
    client.cookies.clear()
    # A task type without candidates has nothing to train on.

    other = project(database, "texts", members={s.manager: "manager"})
    r = client.put(f"/api/v1/projects/{other}/active", json={"strategy": "margin"}, headers=s.manager.headers)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "project"


def test_a_retrain_in_a_real_worker_never_blocks_next_or_submit(
    client: TestClient,
    database: Database,
    settings: Settings,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.embed = planted_vector
    s = setup(client, database, fake.url, rows(60))
    # The app's queue is the SQLite file in the data dir; a real consumer (worker threads) runs its jobs.
    r = client.put(
        f"/api/v1/projects/{s.pid}/active",
        json={"strategy": "uncertainty", "batch_size": 5, "retrain_every": 12},
        headers=s.manager.headers,
    )
    assert r.status_code == 200
    fitting = threading.Event()
    real_fit = engine.fit

    windows: list[tuple[float, float]] = []

    def slow_fit(*args: Any, **kwargs: Any) -> Any:
        fitting.set()
        start = time.monotonic()
        time.sleep(1.5)  # a long fit: the window in which annotators keep working
        try:
            return real_fit(*args, **kwargs)
        finally:
            windows.append((start, time.monotonic()))

    monkeypatch.setattr(engine, "fit", slow_fit)
    consumer = build_queue(settings, database).consumer(workers=1)
    consumer.start()
    slowest = 0.0
    during = 0
    requests: list[float] = []
    try:
        # The 12th completed item makes the submit path ask for a retrain; annotators go on meanwhile.
        label(client, s.annotator, s.pid, 12)
        deadline = time.monotonic() + 60
        while not fitting.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fitting.is_set(), "the retrain never started"
        for _ in range(15):
            started = time.monotonic()
            requests.append(started)
            task = next_task(client, s.annotator, s.pid)
            assert task is not None
            answer = {"choice": "A", "strength": "slightly"}
            done = client.post(
                f"/api/v1/assignments/{task['id']}/submit",
                json={"answer": as_shown(task, "pairwise", answer), "time_spent_ms": 1000},
                headers=s.annotator.headers,
            )
            assert done.status_code == 201, done.text
            slowest = max(slowest, time.monotonic() - started)
            during += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"/api/v1/projects/{s.pid}/reward-model", headers=s.manager.headers).json()
            if status["version"] is not None:
                break
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
    assert status["version"] is not None and status["labels"] >= 8
    # Next and submit stayed fast while the fit ran (each well under the 1.5 s it took).
    assert during == 15 and slowest < 1.0, slowest
    overlapping = [t for t in requests if any(a <= t <= b for a, b in windows)]
    assert len(overlapping) >= 3, (windows, requests)
    jobs = client.get("/api/v1/jobs", params={"project": s.pid}, headers=s.manager.headers)
    assert jobs.status_code == 200
