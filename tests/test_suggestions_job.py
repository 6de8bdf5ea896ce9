"""The ``suggest`` job against the local OpenAI-protocol server: right, wrong, invalid JSON, schema-invalid
and failing answers are each recorded; only valid ones become suggestions; the job still finishes."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import import_rows, person, project
from fake_openai import FakeOpenAI, Step
from generation_support import add_model, fake
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Item, ModelCall, Suggestion
from suggestion_support import suggest

__all__ = ["fake"]


def test_a_job_keeps_valid_answers_records_the_rest_and_finishes(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "sugg-model", fake.url)
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    import_rows(
        client, admin, pid, [{"external_id": f"i{n}", "payload": {"text": f"t{n}"}} for n in range(5)]
    )
    retry_now = {"Retry-After": "0"}
    fake.script = [
        Step(text=json.dumps({"labels": ["pos"]})),
        Step(text=json.dumps({"labels": ["neg"]})),
        Step(text="this is not JSON"),
        Step(text=json.dumps({"labels": ["delighted"]})),
        *[Step(status=500, headers=retry_now) for _ in range(4)],
    ]
    job = suggest(client, admin, pid, model="sugg-model", concurrency=1)
    assert job["status"] == "succeeded", job
    assert job["result"]["suggested"] == 2 and job["result"]["invalid"] == 2 and job["result"]["failed"] == 1
    body = fake.requests[0]["body"]
    # Structured output with the task type's answer schema, and the item as annotators see it.
    assert body["response_format"]["type"] == "json_schema"
    assert "labels" in json.dumps(body["response_format"]["json_schema"]["schema"])
    assert "t0" in body["messages"][-1]["content"]
    with database.session() as db:
        rows = list(db.scalars(select(Suggestion).order_by(Suggestion.item_id)))
        calls = list(db.scalars(select(ModelCall).where(ModelCall.purpose == "suggest")))
    assert [(s.status, s.answer) for s in rows] == [
        ("valid", {"labels": ["pos"]}),
        ("valid", {"labels": ["neg"]}),
        ("invalid", None),
        ("invalid", None),
    ]
    assert "not JSON" in (rows[2].error or "") and "delighted" in (rows[3].error or "")
    assert {s.model_name for s in rows} == {"sugg-model"} and {s.job_id for s in rows} == {job["id"]}
    assert {s.template_version for s in rows} == {"suggest-v1"}
    # Every call is in the ledger, the failed one with its error.
    assert len(calls) == 5 and sum(c.error is not None for c in calls) == 1
    # "new" skips items that have a valid suggestion; the two invalid and the failed one are asked again.
    fake.script = []
    fake.respond = lambda body: json.dumps({"labels": ["neu"]})
    again = suggest(client, admin, pid, model="sugg-model")
    assert again["result"]["suggested"] == 3, again


def test_an_unknown_model_is_refused_before_any_job(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    r = client.post(f"/api/v1/projects/{pid}/suggestions", json={"model": "nope"}, headers=admin.headers)
    assert r.status_code == 422 and "nope" in r.text
    r = client.post(
        "/api/v1/jobs",
        json={"kind": "suggest", "project": str(pid), "params": {"model": "x", "items": "some"}},
        headers=admin.headers,
    )
    assert r.status_code == 422 and "items" in r.text


def test_the_learned_model_suggests_from_the_projects_judgments(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "embedder", fake.url, remote="fake-embed")
    # A vector that separates the two kinds of text: what a real embedding would do for obvious cases.
    fake.embed = lambda text: [1.0, 0.0] if "great" in text else [0.0, 1.0]
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    texts = [f"great thing {n}" if n % 2 == 0 else f"awful thing {n}" for n in range(12)]
    import_rows(
        client, admin, pid, [{"external_id": f"i{n}", "payload": {"text": t}} for n, t in enumerate(texts)]
    )
    for _ in range(8):
        r = client.post(f"/api/v1/projects/{pid}/next", headers=admin.headers)
        task = r.json()["assignment"]
        label = "pos" if "great" in task["item"]["payload"]["text"] else "neg"
        body = {"answer": {"labels": [label]}, "time_spent_ms": 900}
        assert (
            client.post(
                f"/api/v1/assignments/{task['id']}/submit", json=body, headers=admin.headers
            ).status_code
            == 201
        )
    job = suggest(client, admin, pid, model="learned", embedding_model="embedder", items="all")
    assert job["status"] == "succeeded", job
    assert job["result"]["trained_on"] == 8 and job["result"]["suggested"] == 12
    with database.session() as db:
        rows = db.execute(
            select(Suggestion.item_id, Suggestion.answer, Suggestion.score, Suggestion.source)
        ).all()
        texts_by_id = dict(db.execute(select(Item.id, Item.payload)).all())
    for item_id, answer, score, source in rows:
        expected = "pos" if "great" in texts_by_id[item_id]["text"] else "neg"
        assert source == "learned" and answer == {"labels": [expected]} and score is not None and score > 0.5


def test_the_learned_model_needs_judgments(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    import_rows(client, admin, pid, [{"external_id": "i0", "payload": {"text": "t"}}])
    job = suggest(client, admin, pid, model="learned")
    assert job["status"] == "failed" and "judge more" in json.dumps(job)
