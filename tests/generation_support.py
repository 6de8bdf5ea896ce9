"""Shared set-up for the generation tests: registered models on the local fake server, a pairwise (or
ranking) project with messages-only items, and the API calls that drive a generation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from factories import Person, import_rows, person, project
from fake_openai import KEY, FakeOpenAI, fake_openai
from quorum.db import Database
from quorum.providers import service as providers
from quorum.providers.service import ModelSpec


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("FAKE_KEY", KEY)
    with fake_openai() as server:
        yield server


def add_model(database: Database, name: str, base_url: str, *, remote: str = "fake-chat", **kw: Any) -> None:
    with database.session() as db:
        spec = ModelSpec(name=name, base_url=base_url, remote_model=remote, api_key_env="FAKE_KEY", **kw)
        providers.add_model(db, None, spec, allow_link_local=False)


def prompts(n: int, prefix: str = "q") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}{i}",
            "payload": {"messages": [{"role": "user", "content": f"question {i}?"}]},
        }
        for i in range(n)
    ]


@dataclass(frozen=True)
class Setup:
    manager: Person
    annotator: Person
    pid: int


def setup(
    client: TestClient, database: Database, n: int = 3, *, task_type: str = "pairwise",
    config: dict[str, Any] | None = None,
) -> Setup:  # fmt: skip
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(
        database,
        "gen",
        task_type=task_type,
        config=config,
        members={manager: "manager", annotator: "annotator"},
    )
    if n:
        import_rows(client, manager, pid, prompts(n))
    return Setup(manager, annotator, pid)


def generate(client: TestClient, s: Setup, **body: Any) -> Any:
    r = client.post(f"/api/v1/projects/{s.pid}/generations", json=body, headers=s.manager.headers)
    assert r.status_code == 202, r.text
    return client.get(f"/api/v1/jobs/{r.json()['id']}", headers=s.manager.headers).json()


def items(client: TestClient, s: Setup, **params: Any) -> list[dict[str, Any]]:
    r = client.get(
        f"/api/v1/projects/{s.pid}/items", params={"limit": 1000, **params}, headers=s.manager.headers
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["items"]
    return found
