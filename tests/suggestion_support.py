"""Shared set-up for the suggestion tests: a classification project, a registered model on the fake
OpenAI server, suggestions written through the ``suggest`` job or straight into the table."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from factories import Person
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Item, Suggestion


def set_policy(client: TestClient, who: Person, pid: int, **policy: Any) -> None:
    r = client.patch(f"/api/v1/projects/{pid}", json=policy, headers=who.headers)
    assert r.status_code == 200, r.text


def plant(database: Database, pid: int, answers: dict[str, dict[str, Any]], model: str = "m-secret") -> None:
    """A valid suggestion per item (by external id), as a model's job would write it."""
    with database.session() as db:
        ids = dict(
            db.query(Item.external_id, Item.id).filter(Item.project_id == pid, Item.external_id.in_(answers))
        )
        for external_id, answer in answers.items():
            db.add(
                Suggestion(
                    project_id=pid, item_id=ids[external_id], source="model", model_name=model,
                    template_version="suggest-v1", params={}, job_id=None, status="valid", answer=answer,
                    created_at=utcnow(),
                )
            )  # fmt: skip


def suggest(client: TestClient, who: Person, pid: int, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/projects/{pid}/suggestions", json=body, headers=who.headers)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=who.headers).json()
    return job
