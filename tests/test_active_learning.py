"""Active learning in the product: a reward model trained on the project's consensus comparisons, its
versions, the strategy's priorities served by the queue, the random control arm, and clear errors."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from active_support import label, rows, setup
from factories import next_task
from fake_openai import FakeOpenAI
from generation_support import fake
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import ActiveSelection, Item

__all__ = ["fake"]


def _planted(fake: FakeOpenAI) -> None:
    from active_support import planted_vector

    fake.embed = planted_vector


def _job(client: TestClient, who: Any, path: str) -> dict[str, Any]:
    r = client.post(path, headers=who.headers)
    assert r.status_code == 202, r.text
    job = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=who.headers).json()
    assert job["status"] == "succeeded", job
    return job


def test_a_trained_version_recovers_a_planted_preference_and_is_traceable(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    _planted(fake)
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, rows(60))
    base = f"/api/v1/projects/{s.pid}/reward-model"
    assert client.get(base, headers=s.manager.headers).json()["version"] is None
    label(client, s.annotator, s.pid, 50)
    job = _job(client, s.manager, f"{base}/train")
    status = client.get(base, headers=s.manager.headers).json()
    assert status["version"] == 1 and job["result"]["version"] == 1
    # The planted effect (dimension 0 is quality) is learned: held-out accuracy near 1, interval above 0.5.
    assert status["accuracy"] >= 0.8 and status["accuracy_low"] > 0.5, status
    assert status["labels"] + status["held_out"] == 50
    version = client.get(f"{base}/versions/1", headers=s.manager.headers).json()
    assert len(version["item_ids"]) == status["labels"] and version["job_id"] == job["id"]
    assert client.get(f"{base}/versions/7", headers=s.manager.headers).status_code == 404


def test_no_planted_effect_gives_chance_accuracy(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    _planted(fake)
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, rows(60))

    # Coin-flip labels (by a hash of the item): nothing to learn, so held-out accuracy is chance.
    def coin(task: dict[str, Any]) -> dict[str, Any]:
        flip = hashlib.sha256(task["item"]["external_id"].encode()).digest()[0] % 2
        return {"choice": "AB"[flip], "strength": "slightly"}

    label(client, s.annotator, s.pid, 60, answer=coin)
    _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/train")
    status = client.get(f"/api/v1/projects/{s.pid}/reward-model", headers=s.manager.headers).json()
    assert status["accuracy_low"] <= 0.5 + 0.15 and status["accuracy_high"] >= 0.5 - 0.15, status


def test_the_queue_serves_the_strategys_priorities_in_order_and_marks_the_control_arm(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    _planted(fake)
    build_queue(settings, database, immediate=True)
    neutral = set(range(50, 80, 3))  # ten pairs the model cannot tell apart
    s = setup(client, database, fake.url, rows(80, neutral=neutral))
    label(client, s.annotator, s.pid, 50)
    _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/train")
    r = client.put(
        f"/api/v1/projects/{s.pid}/active",
        json={"strategy": "margin", "batch_size": 10, "control_share": 0.3},
        headers=s.manager.headers,
    )
    assert r.status_code == 200 and r.json()["enabled"] is True, r.text
    _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/score")
    # Training already scored once (active learning is on); the newest ten are this scoring's batch.
    chosen = client.get(f"/api/v1/projects/{s.pid}/active/selections", headers=s.manager.headers).json()[
        "selections"
    ][:10]
    assert {c["version"] for c in chosen} == {1} and {c["strategy"] for c in chosen} == {"margin"}
    arms = [c["arm"] for c in chosen]
    assert arms.count("control") == 3 and arms.count("active") == 7
    # The strategy (smallest margin) picked the pairs the model cannot tell apart.
    by_id = {c["item_id"]: c for c in chosen}
    with database.session() as db:
        ext = dict(db.execute(select(Item.id, Item.external_id).where(Item.project_id == s.pid)).all())
    active = [i for i, c in by_id.items() if c["arm"] == "active"]
    assert all(int(ext[i][1:]) in neutral for i in active), [
        (ext[i], by_id[i]["margin"], by_id[i]["score"]) for i in by_id
    ]
    # The queue serves the batch first, in its priority order, both arms mixed as prioritised.
    expected = [c["item_id"] for c in sorted(chosen, key=lambda c: -c["priority"])]
    served = label(client, s.annotator, s.pid, 10)
    assert served == expected
    # Past the batch the queue goes back to its usual order (oldest first).
    task = next_task(client, s.annotator, s.pid)
    assert task is not None and task["item"]["id"] not in by_id
    # Exports carry each scored item's reward-model score and disagreement (additive keys).
    export = client.get(
        f"/api/v1/projects/{s.pid}/export", params={"format": "jsonl"}, headers=s.manager.headers
    )
    assert export.status_code == 200
    lines = [json.loads(line) for line in export.text.splitlines()]
    scored = {r["external_id"]: r["reward_model"] for r in lines if "reward_model" in r}
    assert {ext[i] for i in by_id} <= set(scored) and "p0" not in scored
    assert scored[ext[active[0]]]["disagreement"] == pytest.approx(by_id[active[0]]["disagreement"])
    # The manager's page shows the version, the curve's table and the prioritised items with their arm.
    client.cookies.clear()
    assert client.post("/login", data={"username": "boss", "password": "correct horse"}).status_code in (
        200,
        303,
    )
    page = client.get(f"/projects/{s.pid}/active")
    assert page.status_code == 200 and 'id="rm-current"' in page.text and "<script>" not in page.text
    assert 'id="rm-selections"' in page.text and 'data-arm="control"' in page.text
    assert f"/projects/{s.pid}/items/{active[0]}" in page.text


def test_the_control_arm_is_a_random_draw_marked_per_item(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    _planted(fake)
    build_queue(settings, database, immediate=True)
    neutral = set(range(20, 60, 2))
    s = setup(client, database, fake.url, rows(60, neutral=neutral))
    label(client, s.annotator, s.pid, 20)
    _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/train")
    client.put(
        f"/api/v1/projects/{s.pid}/active",
        json={"strategy": "margin", "batch_size": 20, "control_share": 0.5},
        headers=s.manager.headers,
    )
    draws = []
    for _ in range(3):
        _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/score")
        with database.session() as db:
            latest = db.scalars(
                select(ActiveSelection)
                .where(ActiveSelection.project_id == s.pid)
                .order_by(ActiveSelection.id.desc())
                .limit(20)
            ).all()
        control = {x.item_id for x in latest if x.arm == "control"}
        active = {x.item_id for x in latest if x.arm == "active"}
        assert len(control) == 10 and len(active) == 10 and not control & active
        draws.append(control)
    # The strategy is deterministic, the control arm is not: each scoring drew its own.
    assert len({frozenset(d) for d in draws}) == 3
    # Drawn from the whole pool, the control arm holds pairs the strategy would never pick (clear ones).
    with database.session() as db:
        ext = dict(db.execute(select(Item.id, Item.external_id).where(Item.project_id == s.pid)).all())
    assert any(int(ext[i][1:]) not in neutral for d in draws for i in d)
    # Label the latest batch (both arms) and retrain: the version reports a learning curve per arm, each
    # point with its interval, and accuracy per arm on the held-out labels.
    label(client, s.annotator, s.pid, 20)
    _job(client, s.manager, f"/api/v1/projects/{s.pid}/reward-model/train")
    report = client.get(f"/api/v1/projects/{s.pid}/reward-model", headers=s.manager.headers).json()["report"]
    for arm in ("active", "control"):
        points = report["curve"][arm]
        assert points and points[-1]["labels"] >= 4, report["curve"]
        assert all(p["accuracy_low"] <= p["accuracy"] <= p["accuracy_high"] for p in points)
    assert [p["labels"] for p in points] == sorted(p["labels"] for p in points)
