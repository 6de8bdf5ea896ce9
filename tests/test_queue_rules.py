"""Queue rules through the HTTP API: expertise, lease limits, an expired lease never comes back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from factories import Person, import_rows, person, project, text_rows
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment

ANSWER = {"answer": {"labels": ["pos"]}, "time_spent_ms": 10}


def _next(client: TestClient, who: Person, pid: int) -> Any:
    return client.post(f"/api/v1/projects/{pid}/next", headers=who.headers)


def test_expertise_rule_gates_the_queue(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    novice = person(database, "novice", expertise={"math": 1})
    expert = person(database, "expert", expertise={"math": 3, "python": 1})
    r = client.post(
        "/api/v1/projects",
        json={
            "name": "proofs",
            "task_type": "classification",
            "config": {"labels": ["ok", "wrong"]},
            "required_expertise": {"math": 2},
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["required_expertise"] == {"math": 2}
    pid = r.json()["id"]
    for who in (novice, expert):
        client.put(
            f"/api/v1/projects/{pid}/members/{who.username}",
            json={"role": "annotator"},
            headers=admin.headers,
        )
    import_rows(client, admin, pid, text_rows(2))
    refused = _next(client, novice, pid)
    assert refused.status_code == 403
    assert "math >= 2" in refused.json()["error"]["message"]
    assert _next(client, expert, pid).status_code == 200
    # Lowering the rule lets the novice in.
    r = client.patch(
        f"/api/v1/projects/{pid}", json={"required_expertise": {"math": 1}}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert _next(client, novice, pid).status_code == 200


def test_a_bad_expertise_rule_is_refused(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    r = client.post(
        "/api/v1/projects",
        json={
            "name": "x",
            "task_type": "classification",
            "config": {"labels": ["a", "b"]},
            "required_expertise": {"Math!": 2},
        },
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"].startswith("required_expertise")


def test_lease_limit_per_annotator(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "limit", members={a: "annotator"})
    client.patch(f"/api/v1/projects/{pid}", json={"max_leases": 2}, headers=admin.headers)
    import_rows(client, admin, pid, text_rows(4))
    first = _next(client, a, pid).json()["assignment"]
    second = _next(client, a, pid).json()["assignment"]
    third = _next(client, a, pid).json()["assignment"]
    assert first["item"]["id"] != second["item"]["id"]
    assert third["id"] == first["id"]
    assert (
        client.post(f"/api/v1/assignments/{first['id']}/submit", json=ANSWER, headers=a.headers).status_code
        == 201
    )
    fourth = _next(client, a, pid).json()["assignment"]
    assert fourth["item"]["id"] not in (first["item"]["id"], second["item"]["id"])
    bad = client.patch(f"/api/v1/projects/{pid}", json={"max_leases": 0}, headers=admin.headers)
    assert bad.status_code == 422


def test_an_expired_lease_is_not_handed_back_to_the_same_person(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "again", overlap=2, lease_seconds=1, members={a: "annotator", b: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    task = _next(client, a, pid).json()["assignment"]
    with database.session() as db:
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    # The item is free again, but not for the person who walked away from it: they get the other one.
    again = _next(client, a, pid).json()["assignment"]
    assert again["item"]["id"] != task["item"]["id"]
    # Their late submit still counts while the slot is free, and later work on the other item is fine.
    late = client.post(f"/api/v1/assignments/{task['id']}/submit", json=ANSWER, headers=a.headers)
    assert late.status_code == 201
    assert (
        client.post(f"/api/v1/assignments/{again['id']}/submit", json=ANSWER, headers=a.headers).status_code
        == 201
    )
    assert _next(client, a, pid).status_code == 204
    assert _next(client, b, pid).status_code == 200


def test_short_leases_are_allowed_but_not_zero(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "short")
    assert (
        client.patch(f"/api/v1/projects/{pid}", json={"lease_seconds": 1}, headers=admin.headers).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/projects/{pid}", json={"lease_seconds": 0}, headers=admin.headers).status_code
        == 422
    )


def test_managers_set_priority_and_the_queue_follows(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a, boss = person(database, "a"), person(database, "boss")
    pid = project(database, "steer", members={a: "annotator", boss: "manager"})
    import_rows(client, admin, pid, text_rows(3))
    items = client.get(f"/api/v1/projects/{pid}/items", headers=admin.headers).json()["items"]
    last = max(items, key=lambda i: i["id"])
    r = client.patch(
        f"/api/v1/projects/{pid}/items/{last['id']}", json={"priority": 7.5}, headers=boss.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == 7.5
    assert _next(client, a, pid).json()["assignment"]["item"]["id"] == last["id"]
    # Annotators may not steer, bad numbers are refused, other projects' items are not found.
    assert (
        client.patch(
            f"/api/v1/projects/{pid}/items/{last['id']}", json={"priority": 1}, headers=a.headers
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/projects/{pid}/items/{last['id']}", json={"priority": "high"}, headers=boss.headers
        ).status_code
        == 422
    )
    assert (
        client.patch(
            f"/api/v1/projects/{pid}/items/999999", json={"priority": 1}, headers=boss.headers
        ).status_code
        == 404
    )


def test_a_pinned_item_goes_only_to_its_people(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "pins", overlap=2, members={a: "annotator", b: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    items = client.get(f"/api/v1/projects/{pid}/items", headers=admin.headers).json()["items"]
    first = min(i["id"] for i in items)
    r = client.put(
        f"/api/v1/projects/{pid}/items/{first}/pins", json={"usernames": ["b"]}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"item_id": first, "usernames": ["b"]}
    # a skips past the pinned item; b gets it first (it is older).
    assert _next(client, a, pid).json()["assignment"]["item"]["id"] != first
    assert _next(client, b, pid).json()["assignment"]["item"]["id"] == first
    bad = client.put(
        f"/api/v1/projects/{pid}/items/{first}/pins", json={"usernames": ["nobody"]}, headers=admin.headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "usernames.0"
    assert (
        client.put(
            f"/api/v1/projects/{pid}/items/{first}/pins", json={"usernames": []}, headers=admin.headers
        ).json()["usernames"]
        == []
    )
    assert client.get(f"/api/v1/projects/{pid}/items/{first}/pins", headers=a.headers).status_code == 403
