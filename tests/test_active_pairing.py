"""Pair choice from K samples: generation's ``least_sure`` pairing compares the two samples the current
reward model is least sure of, and falls back to random pairs (said in the job's result) without one."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from active_support import label, planted_vector, rows, setup
from factories import import_rows
from fake_openai import FakeOpenAI
from generation_support import add_model, fake, prompts
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue

__all__ = ["fake"]

ANSWERS = ("good reply", "bad reply", "plain reply")


def _by_seed(body: dict[str, Any]) -> str:
    return ANSWERS[int(body.get("seed", 0)) % 3]


def _generate(client: TestClient, s: Any, prefix: str) -> dict[str, Any]:
    import_rows(client, s.manager, s.pid, prompts(8, prefix=prefix))
    r = client.post(
        f"/api/v1/projects/{s.pid}/generations",
        json={
            "models": ["chat"],
            "samples": 3,
            "pairing": "least_sure",
            "external_ids": [f"{prefix}{i}" for i in range(8)],
        },
        headers=s.manager.headers,
    )
    assert r.status_code == 202, r.text
    job = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=s.manager.headers).json()
    assert job["status"] == "succeeded", job
    return job


def _pairs(client: TestClient, s: Any, prefix: str) -> list[set[str]]:
    r = client.get(f"/api/v1/projects/{s.pid}/items", params={"limit": 1000}, headers=s.manager.headers)
    found = [i for i in r.json()["items"] if i["external_id"].startswith(prefix)]
    return [{c["content"] for c in i["payload"]["candidates"]} for i in found]


def test_least_sure_pairing_uses_the_reward_model_and_falls_back_without_one(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    fake.embed = planted_vector
    fake.respond = _by_seed
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, rows(45))
    add_model(database, "chat", fake.url)

    before = _generate(client, s, "x")
    assert before["result"]["pairing_fallback"].startswith("random_pairs")
    assert all(len(pair) == 2 for pair in _pairs(client, s, "x"))

    label(client, s.annotator, s.pid, 40)
    r = client.post(f"/api/v1/projects/{s.pid}/reward-model/train", headers=s.manager.headers)
    assert r.status_code == 202
    after = _generate(client, s, "y")
    assert "pairing_fallback" not in after["result"]
    pairs = _pairs(client, s, "y")
    # The model is sure that good beats bad (the planted effect); the plain reply is what it is unsure of.
    # (Random pairs would include it in all eight with probability (2/3)^8, under 4%.)
    assert len(pairs) == 8 and all("plain reply" in pair for pair in pairs), pairs
