"""Candidate generation end to end over the API, on both databases: messages-only items wait, a job fills
them with full provenance, annotators never see a model's name, reruns write nothing twice."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from factories import import_rows, next_task
from fake_openai import FakeOpenAI
from generation_support import add_model, fake, generate, items, prompts, setup
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Generation, Item, ModelCall

__all__ = ["fake"]


def test_messages_only_items_await_candidates_and_are_not_served(
    client: TestClient, database: Database
) -> None:
    s = setup(client, database, 2)
    assert [i["status"] for i in items(client, s)] == ["awaiting", "awaiting"]
    assert [i["external_id"] for i in items(client, s, status="awaiting")] == ["q0", "q1"]
    assert next_task(client, s.annotator, s.pid) is None
    # A payload with candidates keeps today's rules, and errors keep their row and field.
    one = [
        {
            "external_id": "x",
            "payload": {"messages": [{"role": "user", "content": "hi"}], "candidates": [{"content": "a"}]},
        }
    ]
    r = client.post(
        f"/api/v1/projects/{s.pid}/items/import", content=json.dumps(one[0]), params={"format": "jsonl"},
        headers=s.manager.headers,
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["error"]["details"][0] == {
        "row": 1,
        "field": "payload.candidates",
        "msg": r.json()["error"]["details"][0]["msg"],
    }
    assert "2 candidates, or none" in r.json()["error"]["details"][0]["msg"]
    dash = client.get(f"/api/v1/projects/{s.pid}/items", params={"status": "nope"}, headers=s.manager.headers)
    assert dash.status_code == 422


def test_a_job_fills_items_with_provenance_and_annotators_never_see_models(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "alpha-secret-name", fake.url, params={"temperature": 0.9}, price_in_per_1k=1.0)
    add_model(database, "beta-secret-name", fake.url)
    s = setup(client, database, 3)
    job = generate(
        client, s, models=["alpha-secret-name", "beta-secret-name"], params={"max_tokens": 50}, seed=7
    )
    assert job["status"] == "succeeded", job
    assert job["result"] | {"errors": {}} == {
        "generated": 6, "skipped": 0, "failed": 0, "items_filled": 3, "items_created": 0, "errors": {},
    }  # fmt: skip
    assert job["progress"] == {"done": 6, "total": 6}
    # Each sample's seed and the merged params reached the server.
    bodies = [r["body"] for r in fake.requests]
    assert {b["seed"] for b in bodies} == {7} and {b["max_tokens"] for b in bodies} == {50}
    assert sorted(b.get("temperature") for b in bodies if b.get("temperature")) == [0.9, 0.9, 0.9]

    stored = items(client, s)
    assert [i["status"] for i in stored] == ["open"] * 3
    models = sorted(c["model"] for i in stored for c in i["payload"]["candidates"])
    assert models == ["alpha-secret-name"] * 3 + ["beta-secret-name"] * 3
    first = stored[0]["payload"]["candidates"][0]
    prov = first["params"]["generation"]
    assert first["provider"] == "openai" and first["params"]["seed"] == 7 and prov["job_id"] == job["id"]
    assert set(prov) >= {"id", "latency_ms", "tokens_in", "tokens_out", "cost", "params_hash"}
    assert "shuffle_seed" in prov and stored[0]["metadata"] == {}

    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Generation)) == 6
        calls = list(db.scalars(select(ModelCall).where(ModelCall.purpose == "generate")))
        assert len(calls) == 6 and {c.job_id for c in calls} == {job["id"]} and all(c.item_id for c in calls)
        assert sum(c.cost for c in calls) > 0
        rows = [c for p in db.scalars(select(Item.candidate_provenance)) for c in p]
        assert len(rows) == 6 and all(r["params"]["generation"]["id"] for r in rows)

    # The annotator's next payload and workspace page never name a model.
    task = next_task(client, s.annotator, s.pid)
    assert task is not None and len(task["item"]["payload"]["candidates"]) == 2
    assert "secret-name" not in json.dumps(task)
    assert client.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
    page = client.get(f"/projects/{s.pid}/work")
    fragment = client.post(f"/ui/projects/{s.pid}/next", headers=s.annotator.headers)
    assert page.status_code == 200 and fragment.status_code == 200 and "candidate" in fragment.text
    assert "secret-name" not in page.text and "secret-name" not in fragment.text

    # Exports carry each candidate's provenance.
    client.cookies.clear()
    exported = client.get(f"/api/v1/projects/{s.pid}/export", headers=s.manager.headers).text
    row = json.loads(exported.splitlines()[0])
    assert "generation" in json.dumps(row) and "secret-name" in json.dumps(row)


def test_a_rerun_generates_nothing_twice(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 2)
    first = generate(client, s, models=["a", "b"], samples=2)
    assert first["result"]["generated"] == 8 and first["result"]["items_created"] == 10
    sent, stored = len(fake.requests), items(client, s)
    again = generate(client, s, models=["a", "b"], samples=2, items="all")
    assert again["status"] == "succeeded"
    assert (again["result"]["generated"], again["result"]["skipped"], again["result"]["items_created"]) == (
        0,
        8,
        0,
    )
    assert len(fake.requests) == sent and items(client, s) == stored
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Generation)) == 8
    # New parameters are new samples: the same items get fresh generations.
    other = generate(client, s, models=["a"], samples=2, params={"temperature": 0.1}, items="all")
    assert other["result"]["generated"] == 4


def test_pairings_build_the_comparisons_they_name(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    for name in ("a", "b", "c"):
        add_model(database, name, fake.url)
    s = setup(client, database, 0)
    import_rows(client, s.manager, s.pid, prompts(1, "r") + prompts(1, "m"))
    rand = generate(client, s, models=["a", "b", "c"], samples=2, pairing="random_pairs", external_ids=["r0"])
    assert (rand["result"]["items_filled"], rand["result"]["items_created"]) == (1, 0)
    mvm = generate(client, s, models=["a", "b", "c"], pairing="model_vs_model", external_ids=["m0"])
    assert (mvm["result"]["items_filled"], mvm["result"]["items_created"]) == (1, 2)
    built = [i for i in items(client, s) if i["external_id"].startswith("m0")]
    pairs = sorted(tuple(sorted(c["model"] for c in i["payload"]["candidates"])) for i in built)
    assert pairs == [("a", "b"), ("a", "c"), ("b", "c")]
    derived = [i for i in built if i["external_id"] != "m0"]
    assert all(i["metadata"]["generated_from"] == "m0" and "~gen-" in i["external_id"] for i in derived)
    assert all(i["status"] == "open" for i in built)


def test_ranking_items_get_a_k_set(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "a", fake.url)
    add_model(database, "b", fake.url)
    s = setup(client, database, 2, task_type="ranking", config={"k": 3})
    job = generate(client, s, models=["a", "b"], samples=2)
    assert job["status"] == "succeeded" and job["params"]["pairing"] == "kset"
    assert [len(i["payload"]["candidates"]) for i in items(client, s)] == [3, 3]
    bad = client.post(
        f"/api/v1/projects/{s.pid}/generations",
        json={"models": ["a"], "pairing": "all_pairs"},
        headers=s.manager.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "pairing"
