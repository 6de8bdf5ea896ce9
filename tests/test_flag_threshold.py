"""An item flagged as broken by K different people leaves the queue for the manager; resolving its flags
returns it. Without a threshold flags never take an item out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.models import Item


def _flag(client: TestClient, who: Person, task: dict[str, Any]) -> None:
    r = client.post(f"/api/v1/assignments/{task['id']}/flag", json={"reason": "garbled"}, headers=who.headers)
    assert r.status_code == 201, r.text


def _status(database: Database, external_id: str) -> str:
    with database.session() as db:
        found = db.scalar(select(Item.status).where(Item.external_id == external_id))
        assert found is not None
        return found


def _setup(client: TestClient, database: Database, threshold: int | None) -> tuple[Person, list[Person], int]:
    admin = person(database, "admin", admin=True)
    people = [person(database, name) for name in ("a", "b", "c")]
    pid = project(database, "flags", overlap=1, members={p: "annotator" for p in people})
    if threshold is not None:
        r = client.patch(f"/api/v1/projects/{pid}", json={"flag_threshold": threshold}, headers=admin.headers)
        assert r.status_code == 200, r.text
        assert r.json()["flag_threshold"] == threshold
    import_rows(client, admin, pid, text_rows(2))
    return admin, people, pid


def test_k_people_flagging_take_the_item_out_until_resolved(client: TestClient, database: Database) -> None:
    admin, (a, b, c), pid = _setup(client, database, threshold=2)
    task = next_task(client, a, pid)
    assert task is not None and task["item"]["external_id"] == "t0"
    _flag(client, a, task)
    assert _status(database, "t0") == "open"
    # One flag is under the threshold: the item is still served, to someone else.
    task = next_task(client, b, pid)
    assert task is not None and task["item"]["external_id"] == "t0"
    _flag(client, b, task)
    assert _status(database, "t0") == "flagged"
    # Out of the queue: c gets the other item, then nothing.
    task_c = next_task(client, c, pid)
    assert task_c is not None and task_c["item"]["external_id"] == "t1"
    r = client.post(
        f"/api/v1/assignments/{task_c['id']}/submit",
        json={"answer": {"labels": ["pos"]}, "time_spent_ms": 5},
        headers=c.headers,
    )
    assert r.status_code == 201
    assert next_task(client, c, pid) is None
    # The manager sees that it left the queue, in the API and on the dashboard.
    flags = client.get(f"/api/v1/projects/{pid}/flags", headers=admin.headers).json()
    assert [f["item_status"] for f in flags] == ["flagged", "flagged"]
    items = client.get(f"/api/v1/projects/{pid}/items", params={"status": "flagged"}, headers=admin.headers)
    assert [i["external_id"] for i in items.json()["items"]] == ["t0"]
    # Resolving brings the flaggers under the threshold: the item is open and served again.
    r = client.post(
        f"/api/v1/projects/{pid}/flags/{flags[0]['id']}/resolve",
        json={"resolution": "fixed"},
        headers=admin.headers,
    )
    assert r.status_code == 200
    assert _status(database, "t0") == "open"
    task_c = next_task(client, c, pid)
    assert task_c is not None and task_c["item"]["external_id"] == "t0"


def test_flags_from_one_person_do_not_add_up(client: TestClient, database: Database) -> None:
    _, (a, b, _), pid = _setup(client, database, threshold=1)
    task = next_task(client, a, pid)
    assert task is not None
    _flag(client, a, task)
    # K = 1: one person's flag is enough.
    assert _status(database, task["item"]["external_id"]) == "flagged"
    task_b = next_task(client, b, pid)
    assert task_b is not None and task_b["item"]["external_id"] != task["item"]["external_id"]


def test_without_a_threshold_flags_never_remove_an_item(client: TestClient, database: Database) -> None:
    admin, (a, b, c), pid = _setup(client, database, threshold=None)
    for who in (a, b):
        task = next_task(client, who, pid)
        assert task is not None and task["item"]["external_id"] == "t0"
        _flag(client, who, task)
    assert _status(database, "t0") == "open"
    task = next_task(client, c, pid)
    assert task is not None and task["item"]["external_id"] == "t0"
    # Setting a threshold later takes the item out; removing it returns the item.
    r = client.patch(f"/api/v1/projects/{pid}", json={"flag_threshold": 2}, headers=admin.headers)
    assert r.status_code == 200
    assert _status(database, "t0") == "flagged"
    assert _status(database, "t1") == "open"
    r = client.patch(f"/api/v1/projects/{pid}", json={"flag_threshold": 3}, headers=admin.headers)
    assert _status(database, "t0") == "open"
    r = client.patch(f"/api/v1/projects/{pid}", json={"flag_threshold": 1}, headers=admin.headers)
    assert _status(database, "t0") == "flagged"
    r = client.patch(f"/api/v1/projects/{pid}", json={"flag_threshold": None}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["flag_threshold"] is None
    assert _status(database, "t0") == "open"


def test_a_flagged_item_counts_on_the_dashboard(client: TestClient, database: Database) -> None:
    _, (a, _, _), pid = _setup(client, database, threshold=1)
    task = next_task(client, a, pid)
    assert task is not None
    _flag(client, a, task)
    login = client.post(
        "/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False
    )
    assert login.status_code == 303, login.text
    page = client.get(f"/projects/{pid}")
    assert page.status_code == 200
    assert 'id="stat-flagged">1<' in page.text
    assert "left the queue" in page.text
