"""``/api/v1/models`` and ``/api/v1/model-calls`` against a local OpenAI-protocol server, on both
databases: admins register and test models, every call leaves a ``model_calls`` row (errors too), the
key never leaves the environment, and unsafe base URLs are refused."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import Person, person
from fake_openai import KEY, FakeOpenAI, Step, closed_port_url, fake_openai
from quorum.db import Database
from quorum.models import ModelCall, ModelEndpoint
from quorum.providers import url_safety

ENV = "QUORUM_TEST_MODEL_KEY"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv(ENV, KEY)
    with fake_openai() as server:
        yield server


def _add(client: TestClient, admin: Person, fake: FakeOpenAI, name: str = "judge", **kw: Any) -> Any:
    body = {
        "name": name,
        "base_url": fake.url,
        "model": "fake-chat",
        "api_key_env": ENV,
        "params": {"temperature": 0.3},
        "concurrency": 4,
        "rpm": 600,
        "price_in_per_1k": 2.0,
        "price_out_per_1k": 10.0,
        **kw,
    }
    return client.post("/api/v1/models", json=body, headers=admin.headers)


def _rows(database: Database) -> list[dict[str, Any]]:
    with database.session() as db:
        endpoints = [
            {c.name: getattr(m, c.key) for c in ModelEndpoint.__table__.columns}
            for m in db.scalars(select(ModelEndpoint))
        ]
        calls = [
            {c.name: getattr(m, c.key) for c in ModelCall.__table__.columns}
            for m in db.scalars(select(ModelCall))
        ]
    return endpoints + calls


def test_register_list_test_and_delete_a_model(
    client: TestClient, database: Database, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = person(database, "admin", admin=True)
    created = _add(client, admin, fake)
    assert created.status_code == 201, created.text
    assert created.json()["api_key_env"] == ENV and created.json()["model"] == "fake-chat"
    assert _add(client, admin, fake).status_code == 409
    assert [m["name"] for m in client.get("/api/v1/models", headers=admin.headers).json()] == ["judge"]
    one = client.get("/api/v1/models/judge", headers=admin.headers)
    assert one.json()["rpm"] == 600 and one.json()["params"] == {"temperature": 0.3}

    fake.script = [Step(text="ok then")]
    tested = client.post("/api/v1/models/judge/test", headers=admin.headers)
    assert tested.status_code == 200, tested.text
    assert tested.json()["text"] == "ok then" and tested.json()["raw_model"] == "fake-chat-2026-01-01"
    # The model's default params go with the call; the test adds a small max_tokens.
    assert fake.requests[-1]["body"]["temperature"] == 0.3 and fake.requests[-1]["body"]["max_tokens"] == 16

    ledger = client.get("/api/v1/model-calls", headers=admin.headers).json()
    assert len(ledger) == 1
    call = ledger[0]
    assert (call["model"], call["purpose"], call["error"]) == ("judge", "test", None)
    assert (call["tokens_in"], call["tokens_out"]) == (6, 2)
    assert call["cost"] == pytest.approx((6 * 2.0 + 2 * 10.0) / 1000)
    assert call["latency_ms"] > 0

    outputs = [created.text, one.text, tested.text, json.dumps(ledger)]
    outputs.append(client.get("/api/v1/models", headers=admin.headers).text)
    assert all(KEY not in text for text in outputs)
    assert KEY not in repr(_rows(database))
    assert KEY not in caplog.text

    assert client.delete("/api/v1/models/judge", headers=admin.headers).status_code == 204
    assert client.get("/api/v1/models/judge", headers=admin.headers).status_code == 404
    kept = client.get("/api/v1/model-calls?model=judge", headers=admin.headers).json()
    assert len(kept) == 1  # the ledger outlives the registration


def test_bad_key_unknown_model_and_unreachable_url_are_502s_with_an_error_row(
    client: TestClient, database: Database, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = person(database, "admin", admin=True)
    monkeypatch.setenv("QUORUM_WRONG_KEY", "sk-wrong-secret-99")
    assert _add(client, admin, fake, "wrong-key", api_key_env="QUORUM_WRONG_KEY").status_code == 201
    assert _add(client, admin, fake, "no-such", model="gpt-nope").status_code == 201
    assert _add(client, admin, fake, "down", base_url=closed_port_url()).status_code == 201
    assert _add(client, admin, fake, "unset", api_key_env="QUORUM_NOT_SET_ANYWHERE").status_code == 201

    expected = {
        "wrong-key": (502, "model 'wrong-key': .* refused the API key"),
        "no-such": (502, "model 'no-such': .* does not serve model 'gpt-nope'"),
        "down": (502, "model 'down': cannot reach"),
        "unset": (422, "model 'unset': the environment variable QUORUM_NOT_SET_ANYWHERE is not set"),
    }
    for name, (code, message) in expected.items():
        r = client.post(f"/api/v1/models/{name}/test", headers=admin.headers)
        assert r.status_code == code, r.text
        assert re.search(message, r.json()["error"]["message"]), r.text
        assert "sk-wrong-secret-99" not in r.text

    errors = client.get("/api/v1/model-calls?errors=true", headers=admin.headers).json()
    assert sorted(c["model"] for c in errors) == sorted(expected)
    assert all(c["error"] and c["tokens_in"] == 0 and c["cost"] == 0 for c in errors)
    assert client.get("/api/v1/model-calls?model=down", headers=admin.headers).json()[0]["model"] == "down"
    assert "sk-wrong-secret-99" not in repr(_rows(database))


def test_a_429_storm_through_the_api_is_retried_and_recorded_once(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    admin = person(database, "admin", admin=True)
    assert _add(client, admin, fake).status_code == 201
    fake.script = [Step(status=429, headers={"Retry-After": "0.01"})] * 2 + [Step(text="fine")]
    r = client.post("/api/v1/models/judge/test", headers=admin.headers)
    assert r.status_code == 200 and r.json()["text"] == "fine"
    assert len(fake.requests) == 3
    assert len(client.get("/api/v1/model-calls", headers=admin.headers).json()) == 1
    fake.script = [Step(status=429, headers={"Retry-After": "0"})] * 4
    storm = client.post("/api/v1/models/judge/test", headers=admin.headers)
    assert storm.status_code == 503 and "still rate limited" in storm.json()["error"]["message"]


def test_unsafe_base_urls_are_refused_by_the_api(
    client: TestClient, database: Database, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # evil.example "resolves" to the metadata address: refused like the address itself.
    monkeypatch.setattr(url_safety, "resolve", lambda host: ["169.254.169.254"])
    admin = person(database, "admin", admin=True)
    for url in (
        "http://169.254.169.254/v1",
        "ftp://127.0.0.1/v1",
        "http://metadata.google.internal/",
        "https://evil.example/v1",
    ):
        r = _add(client, admin, fake, base_url=url)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["loc"] == ["body", "base_url"]
    assert client.get("/api/v1/models", headers=admin.headers).json() == []


def test_bad_registrations_are_422s_naming_the_field(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    admin = person(database, "admin", admin=True)
    cases = {
        "api_key_env": {"api_key_env": "sk-live-not-a-variable-name!"},
        "provider": {"provider": "nope"},
        "rpm": {"rpm": 0},
        "price_in_per_1k": {"price_in_per_1k": -1},
        "name": {"name": "has space"},
    }
    for field, change in cases.items():
        r = _add(client, admin, fake, **change)
        assert r.status_code == 422, r.text
        assert field in [d["field"] for d in r.json()["error"]["details"]], r.text
    assert _add(client, admin, fake, api_key="sk-in-the-body").status_code == 422  # keys are never accepted


def test_only_admins_touch_models(client: TestClient, database: Database, fake: FakeOpenAI) -> None:
    admin = person(database, "admin", admin=True)
    someone = person(database, "someone")
    assert _add(client, admin, fake).status_code == 201
    h = someone.headers
    for method, path in [
        ("GET", "/api/v1/models"),
        ("GET", "/api/v1/models/judge"),
        ("DELETE", "/api/v1/models/judge"),
        ("POST", "/api/v1/models/judge/test"),
        ("GET", "/api/v1/model-calls"),
    ]:
        assert client.request(method, path, headers=h).status_code == 403, path
    assert _add(client, someone, fake, "mine").status_code == 403
    assert client.get("/api/v1/models").status_code == 401
    assert fake.requests == []


def test_a_slow_model_test_does_not_hold_the_database(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    """On SQLite every transaction holds the write lock: the test call is sent with none open, so other
    writes go on while a slow model thinks."""
    admin = person(database, "admin", admin=True)
    assert _add(client, admin, fake).status_code == 201
    fake.script = [Step(delay_s=1.5, text="slow")]
    answers: list[Any] = []
    slow = threading.Thread(
        target=lambda: answers.append(client.post("/api/v1/models/judge/test", headers=admin.headers))
    )
    slow.start()
    while not fake.requests:
        time.sleep(0.01)
    start = time.monotonic()
    assert _add(client, admin, fake, "other").status_code == 201
    assert time.monotonic() - start < 1.0
    slow.join()
    assert answers[0].status_code == 200 and answers[0].json()["text"] == "slow"
