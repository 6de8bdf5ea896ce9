"""The quality report's Bradley-Terry ranking of models reads generated candidates' provenance: a planted
preference for one model is recovered, and with none planted none is found."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient

from factories import as_shown, next_task
from fake_openai import FakeOpenAI
from generation_support import add_model, fake, generate, setup
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Item

__all__ = ["fake"]
N_ITEMS = 40


@pytest.mark.parametrize("preference", [0.9, 0.5])
def test_bt_ranks_generating_models_from_human_choices(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI, preference: float
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "strong", fake.url)
    add_model(database, "weak", fake.url)
    s = setup(client, database, N_ITEMS)
    job = generate(client, s, models=["strong", "weak"], pairing="model_vs_model")
    assert job["status"] == "succeeded" and job["result"]["failed"] == 0, job["result"]
    rng = random.Random(4)
    for n in range(N_ITEMS):
        task = next_task(client, s.annotator, s.pid)
        assert task is not None, n
        with database.session() as db:
            item = db.get(Item, task["item"]["id"])
            assert item is not None
            models = [c["model"] for c in item.payload["candidates"]]
        # The simulated annotator sees only the text; the test knows which candidate is which model.
        prefers_strong = rng.random() < preference
        chosen = models.index("strong" if prefers_strong else "weak")
        answer = {"choice": "AB"[chosen], "strength": "better"}
        body = {"answer": as_shown(task, "pairwise", answer), "time_spent_ms": 5000}
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=s.annotator.headers)
        assert r.status_code == 201, r.text
    report = client.get(
        f"/api/v1/projects/{s.pid}/quality", params={"bootstrap": 200}, headers=s.manager.headers
    )
    ranking = report.json()["models"]
    assert ranking["n_comparisons"] == N_ITEMS
    scores = {m["model"]: m for m in ranking["models"]}
    strong, weak = scores["strong"]["score"], scores["weak"]["score"]
    if preference > 0.5:
        assert strong["value"] > weak["value"] and strong["ci_low"] > weak["ci_high"]  # recovered
    else:
        assert strong["ci_low"] < weak["ci_high"] and weak["ci_low"] < strong["ci_high"]  # none found
