"""Generation under bad settings and interruptions: clear errors, no half-written candidates, a 422 before
any job for a bad request, and a run that dies after some batches resumes with every sample once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fake_openai import FakeOpenAI, Step, closed_port_url
from generation_support import add_model, fake, generate, items, setup
from quorum.config import Settings
from quorum.db import Database
from quorum.generation import run
from quorum.jobs.queue import build_queue
from quorum.models import Generation, Item, Job, ModelCall

__all__ = ["fake"]


def _nothing_written(database: Database) -> None:
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Generation)) == 0
        assert all(not p for p in db.scalars(select(Item.candidate_provenance)))


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("wrong key", "refused the API key"),
        ("unknown model", "does not serve model"),
        ("unreachable", "cannot reach"),
        ("429 storm", "still rate limited"),
    ],
)
def test_bad_model_settings_fail_the_job_clearly_and_write_no_candidates(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch, case: str, needle: str,
) -> None:  # fmt: skip
    build_queue(settings, database, immediate=True)
    url = closed_port_url() if case == "unreachable" else fake.url
    add_model(database, "m", url, remote="no-such-model" if case == "unknown model" else "fake-chat")
    if case == "wrong key":
        monkeypatch.setenv("FAKE_KEY", "sk-wrong")
    if case == "429 storm":
        fake.script = [Step(status=429, headers={"Retry-After": "0"}) for _ in range(100)]
    s = setup(client, database, 2)
    job = generate(client, s, models=["m"], samples=2)
    assert job["status"] == "failed" and needle in job["error"] and "every model call failed" in job["error"]
    assert "sk-" not in job["error"]
    _nothing_written(database)
    assert [i["status"] for i in items(client, s)] == ["awaiting", "awaiting"]
    with database.session() as db:
        errors = list(db.scalars(select(ModelCall.error).where(ModelCall.purpose == "generate")))
    assert errors and all(e and needle in e for e in errors)


def test_a_bad_request_is_a_422_and_no_job(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    queue = build_queue(settings, database)
    add_model(database, "m", fake.url)
    s = setup(client, database, 1)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"models": ["nope"]}, "models.0"),
        ({"models": ["m"], "params": {"temperature": 5}}, "params.temperature"),
        ({"models": ["m"], "params": {"frequency": 1}}, "params.frequency"),
        ({"models": ["m"], "samples": 0}, "samples"),
        ({"models": ["m"], "samples": 1}, "samples"),  # one candidate cannot make a pair
        ({"models": ["m"], "samples": 2, "pairing": "round_robin"}, "pairing"),
        ({"models": ["m"], "samples": 2, "pairing": "model_vs_model"}, "pairing"),
        ({"models": ["m"], "samples": 2, "model_params": {"other": {}}}, "model_params.other"),
    ]
    for body, field in cases:
        r = client.post(f"/api/v1/projects/{s.pid}/generations", json=body, headers=s.manager.headers)
        assert r.status_code == 422, (body, r.text)
        assert field in [d["field"] for d in r.json()["error"]["details"]], (body, r.json())
    forbidden = client.post(
        f"/api/v1/projects/{s.pid}/generations",
        json={"models": ["m"], "samples": 2},
        headers=s.annotator.headers,
    )
    assert forbidden.status_code == 403
    assert client.get("/api/v1/jobs", headers=s.manager.headers).json() == []
    assert queue.huey.pending_count() == 0


def test_a_run_killed_after_some_batches_resumes_with_every_sample_once(
    client: TestClient,
    database: Database,
    settings: Settings,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 5)
    monkeypatch.setattr(run, "CALLS_PER_BATCH", 4)  # one item (2 models x 2 samples) per batch
    real = run.send_chats
    batches = {"n": 0}

    def dies_in_the_third_batch(*args: Any, **kwargs: Any) -> Any:
        batches["n"] += 1
        if batches["n"] == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "send_chats", dies_in_the_third_batch)
    died = generate(client, s, models=["a", "b"], samples=2)
    assert died["status"] == "failed" and "worker killed" in died["error"]
    assert died["progress"]["done"] == 8  # two batches committed
    assert len(fake.requests) == 8
    prompts_open = [i for i in items(client, s) if i["status"] == "open" and "~gen-" not in i["external_id"]]
    assert len(prompts_open) == 2

    monkeypatch.setattr(run, "send_chats", real)
    resumed = generate(client, s, models=["a", "b"], samples=2)
    assert resumed["status"] == "succeeded"
    # Only the awaiting items were asked for: the two finished ones are not even looked at again.
    assert (resumed["result"]["generated"], resumed["result"]["skipped"]) == (12, 0)
    assert len(fake.requests) == 20  # every (item, model, sample) sent exactly once
    with database.session() as db:
        keys = db.execute(select(Generation.item_id, Generation.model_name, Generation.sample)).all()
        assert len(keys) == len(set(keys)) == 20
    stored = items(client, s)
    assert all(i["status"] == "open" for i in stored) and len(stored) == 5 * 6  # all_pairs of 4: 6 per prompt


def test_cancel_stops_at_the_next_batch(
    client: TestClient,
    database: Database,
    settings: Settings,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "a", fake.url)
    s = setup(client, database, 4)
    monkeypatch.setattr(run, "CALLS_PER_BATCH", 2)
    real = run.send_chats

    def cancel_after_first(*args: Any, **kwargs: Any) -> Any:
        with database.session() as db:
            for job in db.scalars(select(Job)):
                job.cancel_requested = True
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "send_chats", cancel_after_first)
    job = generate(client, s, models=["a"], samples=2)
    assert job["status"] == "cancelled" and job["progress"]["done"] == 2
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Generation)) == 2
