"""API keys stored encrypted: accepted by the API and the CLI, used for calls, and never seen again in
clear: not in any database row (read with raw SQL), response, audit event, log record or error, on both
databases. A changed QUORUM_SECRET_KEY gives a clear error naming the model."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cli_runner import quorum_command
from factories import Person, person
from fake_openai import KEY, FakeOpenAI, Step, fake_openai
from quorum.config import Settings
from quorum.db import Database
from quorum.models import Base
from quorum.providers import stored_keys

WRONG_KEY = "sk-wrong-77c1e0aa"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    # The secret a test switches to does not outlive it.
    monkeypatch.setattr(stored_keys, "_secret", stored_keys._secret)
    with fake_openai() as server:
        yield server


def _every_row(database: Database) -> str:
    """Every value of every table, as text: where a leaked key would show."""
    with database.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(sa.select(table))
        )


def _add(client: TestClient, admin: Person, fake: FakeOpenAI, **kw: object) -> Any:
    body = {"name": "vault", "base_url": fake.url, "model": "fake-chat", "api_key": KEY, **kw}
    return client.post("/api/v1/models", json=body, headers=admin.headers)


def test_a_stored_key_is_used_and_never_shown(
    client: TestClient, database: Database, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = person(database, "admin", admin=True)
    seen: list[str] = []
    added = _add(client, admin, fake)
    seen.append(added.text)
    assert added.status_code == 201
    body = added.json()
    assert (body["has_api_key"], body["api_key_source"], body["api_key_env"]) == (True, "stored", None)
    assert "api_key" not in body

    fake.script = [Step(text="sealed and delivered")]
    tested = client.post("/api/v1/models/vault/test", headers=admin.headers)
    assert tested.status_code == 200 and tested.json()["text"] == "sealed and delivered"
    for path in ("/api/v1/models", "/api/v1/models/vault", "/api/v1/model-calls", "/admin/models"):
        seen.append(client.get(path, headers=admin.headers).text)

    # Refusals: both sources at once; a key that is no key; another field wrong beside a key.
    both = _add(client, admin, fake, name="both", api_key_env="SOME_VAR")
    assert both.status_code == 422
    assert [d["field"] for d in both.json()["error"]["details"]] == ["api_key"]
    spaced = _add(client, admin, fake, name="spaced", api_key=f"{KEY} {KEY}")
    beside = _add(client, admin, fake, name="beside", concurrency="many")
    assert spaced.status_code == beside.status_code == 422
    seen += [r.text for r in (both, spaced, beside)]

    # A key the server refuses: its 401 echoes the key, which must not reach the caller.
    client.put("/api/v1/models/vault/api-key", json={"api_key": WRONG_KEY}, headers=admin.headers)
    refused = client.post("/api/v1/models/vault/test", headers=admin.headers)
    assert refused.status_code == 502 and "refused the API key" in refused.json()["error"]["message"]
    seen.append(refused.text)

    everything = "\n".join(seen) + _every_row(database) + caplog.text
    assert "vault" in _every_row(database) and "model.set_key" in _every_row(database)
    assert KEY not in everything and WRONG_KEY not in everything
    assert "sk-" not in _every_row(database)


def test_set_key_replaces_the_env_var_and_null_forgets_it(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    admin = person(database, "admin", admin=True)
    _add(client, admin, fake, api_key=None, api_key_env="QUORUM_UNSET_VAR")
    stored = client.put("/api/v1/models/vault/api-key", json={"api_key": KEY}, headers=admin.headers)
    assert stored.status_code == 200, stored.text
    assert (stored.json()["api_key_source"], stored.json()["api_key_env"]) == ("stored", None)
    fake.script = [Step(text="ok")]
    assert client.post("/api/v1/models/vault/test", headers=admin.headers).status_code == 200
    cleared = client.put("/api/v1/models/vault/api-key", json={"api_key": None}, headers=admin.headers)
    assert (cleared.json()["has_api_key"], cleared.json()["api_key_source"]) == (False, None)
    annotator = person(database, "ann")
    denied = client.put("/api/v1/models/vault/api-key", json={"api_key": KEY}, headers=annotator.headers)
    assert denied.status_code == 403


def test_a_changed_secret_key_gives_a_clear_error_naming_the_model(
    client: TestClient, database: Database, fake: FakeOpenAI, tmp_path: Path
) -> None:
    admin = person(database, "admin", admin=True)
    assert _add(client, admin, fake).status_code == 201
    stored_keys.use_settings(Settings(data_dir=tmp_path, secret_key="rotated-" + "x" * 40))
    failed = client.post("/api/v1/models/vault/test", headers=admin.headers)
    error = failed.json()["error"]
    assert failed.status_code == 422 and error["details"][0]["field"] == "api_key"
    assert "model 'vault'" in error["message"] and "QUORUM_SECRET_KEY" in error["message"]
    assert "quorum model set-key vault" in error["message"]
    assert fake.requests == []  # nothing was sent with a key we could not read
    calls = client.get("/api/v1/model-calls?errors=true", headers=admin.headers).json()
    assert [c["model"] for c in calls] == ["vault"] and "set the key again" in calls[0]["error"]
    assert KEY not in failed.text


def test_the_cli_stores_a_key_from_stdin_or_a_hidden_prompt(
    monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path, fake: FakeOpenAI
) -> None:
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    added = quorum(
        "model", "add", "vault", "--base-url", fake.url, "--model", "fake-chat", "--api-key-stdin",
        stdin=f"{KEY}\n",
    )  # fmt: skip
    fake.script = [Step(text="from the cli")]
    tested = quorum("model", "test", "vault")
    assert tested.stdout.strip() == "from the cli"
    listed = quorum("model", "list")
    assert "stored" in listed.stdout
    both = quorum(
        "model", "add", "both", "--base-url", fake.url, "--model", "fake-chat", "--api-key-env", "V",
        "--api-key-stdin", stdin=f"{KEY}\n", ok=False,
    )  # fmt: skip
    assert both.returncode != 0 and "api_key" in both.stderr
    prompted = quorum("model", "set-key", "vault", "--api-key-prompt", stdin=f"{WRONG_KEY}\n")
    assert "key stored" in prompted.stderr
    refused = quorum("model", "test", "vault", ok=False)
    assert refused.returncode == 1 and "refused the API key" in refused.stderr
    outputs = [r.stdout + r.stderr for r in (added, tested, listed, both, prompted, refused)]
    everything = "\n".join(outputs) + _every_row(database)
    assert KEY not in everything and WRONG_KEY not in everything


def test_the_models_page_stores_a_key_without_showing_it(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    admin = person(database, "admin", admin=True)
    _add(client, admin, fake, api_key=None)
    login = client.post(
        "/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False
    )
    assert login.status_code == 303
    page = client.get("/admin/models")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None and 'action="/admin/models/vault/key"' in page.text
    assert client.post("/admin/models/vault/key", data={"api_key": KEY}).status_code == 403  # no CSRF token
    stored = client.post("/admin/models/vault/key", data={"csrf_token": token.group(1), "api_key": KEY})
    assert stored.status_code == 200 and "vault: key stored (encrypted)" in stored.text
    assert "stored (encrypted)</td>" in stored.text
    spaced = client.post("/admin/models/vault/key", data={"csrf_token": token.group(1), "api_key": "a b"})
    assert 'id="key-error"' in spaced.text and "printable text without spaces" in spaced.text
    fake.script = [Step(text="via the page")]
    tested = client.post("/admin/models/vault/test", data={"csrf_token": token.group(1)})
    assert "via the page" in tested.text
    everything = "\n".join(r.text for r in (page, stored, spaced, tested)) + _every_row(database)
    assert KEY not in everything
