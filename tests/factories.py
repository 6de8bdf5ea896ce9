"""Plain typed factories for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.projects import service as projects
from quorum.task_types import registry

CLASSIFICATION_CONFIG = {"labels": ["pos", "neg", "neu"], "multi": False}


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def person(
    database: Database, username: str, *, admin: bool = False, expertise: dict[str, int] | None = None
) -> Person:
    with database.session() as db:
        user = accounts.create_user(
            db, username, password="correct horse", is_admin=admin, expertise=expertise
        )
        _, token = accounts.create_token(db, user)
        return Person(user.id, user.username, token)


def project(
    database: Database,
    name: str = "proj",
    *,
    task_type: str = "classification",
    config: dict[str, Any] | None = None,
    overlap: int = 1,
    lease_seconds: int = 900,
    members: dict[Person, str] | None = None,
) -> int:
    with database.session() as db:
        created = projects.create_project(
            db,
            None,
            name=name,
            task_type=task_type,
            config=config
            if config is not None
            else (CLASSIFICATION_CONFIG if task_type == "classification" else {}),
            overlap=overlap,
            lease_seconds=lease_seconds,
            guidelines="Be careful.",
        )
        for who, role in (members or {}).items():
            projects.add_member(db, None, created, accounts.get_user(db, who.username), role)
        return created.id


def text_rows(n: int, prefix: str = "t") -> list[dict[str, Any]]:
    return [{"external_id": f"{prefix}{i}", "payload": {"text": f"text number {i}"}} for i in range(n)]


def pairwise_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"p{i}",
            "payload": {
                "messages": [{"role": "user", "content": f"question {i}?"}],
                "candidates": [
                    {"content": f"good answer {i}", "model": "big", "params": {"temperature": 0.2}},
                    {"content": f"bad answer {i}", "model": "small"},
                ],
            },
        }
        for i in range(n)
    ]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(jsonl(rows))
    return path


def import_rows(client: TestClient, who: Person, project_id: int, rows: list[dict[str, Any]]) -> Any:
    response = client.post(
        f"/api/v1/projects/{project_id}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl"},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def next_task(client: TestClient, who: Person, pid: int) -> dict[str, Any] | None:
    """``who``'s next assignment in project ``pid`` through the API; None when nothing is available."""
    r = client.post(f"/api/v1/projects/{pid}/next", headers=who.headers)
    if r.status_code == 204:
        return None
    assert r.status_code == 200, r.text
    assignment: dict[str, Any] = r.json()["assignment"]
    return assignment


def as_shown(task: dict[str, Any], task_type: str, answer: dict[str, Any]) -> dict[str, Any]:
    """``answer``, written about candidate identities (as stored), in the positions ``task`` shows its
    candidates in: what an annotator who means that answer submits."""
    order = task["item"].get("display_order")
    return answer if order is None else registry.get(task_type).to_displayed(answer, order)
