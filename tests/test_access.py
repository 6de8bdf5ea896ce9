"""Each role is denied what it must not do; annotators never see gold answers or others' judgments."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import Person, import_rows, person, project, text_rows
from quorum.db import Database


@pytest.fixture
def world(client: TestClient, database: Database) -> dict[str, object]:
    people = {
        name: person(database, name, admin=name == "admin")
        for name in ("admin", "manager", "reviewer", "annotator", "outsider")
    }
    pid = project(
        database,
        "secret",
        members={
            people["manager"]: "manager",
            people["reviewer"]: "reviewer",
            people["annotator"]: "annotator",
        },
    )
    rows = text_rows(2)
    rows[0]["gold"] = {"labels": ["pos"]}
    import_rows(client, people["admin"], pid, rows)
    return {"people": people, "pid": pid}


MANAGER_ONLY = [
    ("patch", "/api/v1/projects/{pid}", {"json": {"status": "paused"}}),
    ("put", "/api/v1/projects/{pid}/guidelines", {"json": {"body": "new"}}),
    ("get", "/api/v1/projects/{pid}/members", {}),
    ("put", "/api/v1/projects/{pid}/members/reviewer", {"json": {"role": "reviewer"}}),
    (
        "post",
        "/api/v1/projects/{pid}/items/import",
        {"content": b'{"payload": {"text": "x"}}\n', "params": {"format": "jsonl"}},
    ),
    ("get", "/api/v1/projects/{pid}/judgments", {}),
    ("get", "/api/v1/projects/{pid}/export", {}),
]
REVIEWER_UP = [("get", "/api/v1/projects/{pid}/items", {})]
ADMIN_ONLY = [
    ("get", "/api/v1/users", {}),
    ("post", "/api/v1/users", {"json": {"username": "x"}}),
    (
        "post",
        "/api/v1/projects",
        {"json": {"name": "n", "task_type": "classification", "config": {"labels": ["a", "b"]}}},
    ),
    ("patch", "/api/v1/users/annotator", {"json": {"is_active": False}}),
]


def _call(client: TestClient, who: Person, method: str, path: str, kwargs: dict, pid: int) -> int:
    return client.request(method, path.format(pid=pid), headers=who.headers, **kwargs).status_code


def test_role_matrix(client: TestClient, world: dict) -> None:
    people, pid = world["people"], world["pid"]
    for method, path, kwargs in MANAGER_ONLY:
        for name in ("reviewer", "annotator"):
            assert _call(client, people[name], method, path, kwargs, pid) == 403, (name, path)
        # A non-member is told the project does not exist, as for a missing one.
        assert _call(client, people["outsider"], method, path, kwargs, pid) == 404, path
        assert _call(client, people["manager"], method, path, kwargs, pid) < 300, path
    for method, path, kwargs in REVIEWER_UP:
        assert _call(client, people["annotator"], method, path, kwargs, pid) == 403, path
        assert _call(client, people["outsider"], method, path, kwargs, pid) == 404, path
        assert _call(client, people["reviewer"], method, path, kwargs, pid) == 200
    for method, path, kwargs in ADMIN_ONLY:
        for name in ("manager", "reviewer", "annotator", "outsider"):
            assert _call(client, people[name], method, path, kwargs, pid) == 403, (name, path)
        assert _call(client, people["admin"], method, path, kwargs, pid) < 300, path


def test_outsider_gets_no_work_and_cannot_see_the_project(client: TestClient, world: dict) -> None:
    people, pid = world["people"], world["pid"]
    outsider = people["outsider"].headers
    r = client.post(f"/api/v1/projects/{pid}/next", headers=outsider)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/projects", headers=outsider).json() == []


def test_non_members_cannot_tell_a_project_or_a_user_exists(client: TestClient, world: dict) -> None:
    """403 for an existing project and 404 for a missing one let anyone walk project names and
    usernames; a non-member now gets the same answer for both."""
    people, pid = world["people"], world["pid"]
    outsider = people["outsider"].headers
    for existing, missing in ((str(pid), "987654"), ("secret", "no-such-project")):
        found = client.get(f"/api/v1/projects/{existing}", headers=outsider)
        absent = client.get(f"/api/v1/projects/{missing}", headers=outsider)
        assert (found.status_code, absent.status_code) == (404, 404)
        assert found.json()["error"]["message"].replace(existing, "X") == absent.json()["error"][
            "message"
        ].replace(missing, "X")
    page = client.get(f"/api/v1/projects/{pid}/items/1", headers=outsider)
    assert page.status_code == 404
    # A member whose role is not enough is still told why.
    assert client.get(f"/api/v1/projects/{pid}/items", headers=people["annotator"].headers).status_code == 403
    for other in ("manager", "nobody-at-all"):
        r = client.get(f"/api/v1/users/{other}/tokens", headers=outsider)
        assert r.status_code == 404, other
        assert r.json()["error"]["message"] == f"no user {other!r}"


def test_annotator_never_sees_gold_or_others_judgments(client: TestClient, world: dict) -> None:
    people, pid = world["people"], world["pid"]
    r = client.post(f"/api/v1/projects/{pid}/next", headers=people["annotator"].headers)
    body = r.text
    assert "gold" not in body
    item_id = r.json()["assignment"]["item"]["id"]
    assert (
        client.get(f"/api/v1/projects/{pid}/items/{item_id}", headers=people["annotator"].headers).status_code
        == 403
    )
    detail = client.get(f"/api/v1/projects/{pid}/items", headers=people["reviewer"].headers).json()
    assert any(i["gold"] == {"labels": ["pos"]} for i in detail["items"])


def test_unauthenticated_and_bad_tokens(client: TestClient, world: dict) -> None:
    pid = world["pid"]
    r = client.get(f"/api/v1/projects/{pid}")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    r = client.get(f"/api/v1/projects/{pid}", headers={"Authorization": "Bearer qrm_forged"})
    assert r.status_code == 401


def test_deactivated_user_and_revoked_token(client: TestClient, world: dict) -> None:
    people = world["people"]
    ann = people["annotator"]
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 200
    client.patch("/api/v1/users/annotator", json={"is_active": False}, headers=people["admin"].headers)
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 401
    manager = people["manager"]
    tokens = client.get("/api/v1/users/manager/tokens", headers=manager.headers).json()
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=manager.headers).status_code == 204
    assert client.get("/api/v1/me", headers=manager.headers).status_code == 401


def test_password_login_issues_a_token(client: TestClient, world: dict) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "reviewer", "password": "correct horse"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["username"]
        == "reviewer"
    )
    bad = client.post("/api/v1/auth/token", json={"username": "reviewer", "password": "wrong one"})
    assert bad.status_code == 401


def test_tokens_are_stored_hashed(client: TestClient, world: dict, database: Database) -> None:
    from sqlalchemy import select

    from quorum.models import ApiToken

    with database.session() as db:
        hashes = set(db.scalars(select(ApiToken.token_hash)))
    assert world["people"]["annotator"].token not in hashes
    assert all(len(h) == 64 for h in hashes)
