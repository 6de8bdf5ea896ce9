"""The admin's models page: lists models without their keys, and its Test button sends one call and
shows the reply or the error naming the model (the failed call is still recorded). Others get 403."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from factories import Person, person
from fake_openai import KEY, FakeOpenAI, Step, closed_port_url, fake_openai
from quorum.db import Database


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("QUORUM_PAGE_KEY", KEY)
    with fake_openai() as server:
        yield server


def _login(client: TestClient, who: str) -> None:
    r = client.post("/login", data={"username": who, "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _add(client: TestClient, admin: Person, name: str, url: str) -> None:
    body = {"name": name, "base_url": url, "model": "fake-chat", "api_key_env": "QUORUM_PAGE_KEY"}
    assert client.post("/api/v1/models", json=body, headers=admin.headers).status_code == 201


def test_the_models_page_lists_and_tests(client: TestClient, database: Database, fake: FakeOpenAI) -> None:
    admin = person(database, "admin", admin=True)
    person(database, "someone")
    _add(client, admin, "local", fake.url)
    _add(client, admin, "down", closed_port_url())
    _login(client, "admin")
    page = client.get("/admin/models")
    assert page.status_code == 200
    assert 'id="model-local"' in page.text and "QUORUM_PAGE_KEY" in page.text and KEY not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None

    fake.script = [Step(text="page says <script>alert(1)</script>")]
    ok = client.post("/admin/models/local/test", data={"csrf_token": token.group(1)})
    assert ok.status_code == 200 and 'id="test-result"' in ok.text
    # A model's reply is untrusted text: escaped, never markup.
    assert "page says &lt;script&gt;alert(1)&lt;/script&gt;" in ok.text and "<script>alert" not in ok.text
    failed = client.post("/admin/models/down/test", data={"csrf_token": token.group(1)})
    assert failed.status_code == 200 and "model &#39;down&#39;: cannot reach" in failed.text
    assert client.post("/admin/models/local/test", data={}).status_code == 403  # no CSRF token
    calls = client.get("/api/v1/model-calls", headers=admin.headers).json()
    assert sorted((c["model"], c["error"] is None) for c in calls) == [("down", False), ("local", True)]

    client.post("/logout", data={"csrf_token": token.group(1)})
    _login(client, "someone")
    assert client.get("/admin/models").status_code == 403
