"""Submit, skip and flag check membership and project status on every call, not only who owns the lease;
removing a member ends their leases; whoever holds a lease on an item sees neither its gold nor peers'
judgments until they submit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database

ANSWER = {"answer": {"labels": ["pos"]}, "time_spent_ms": 1000}


def _submit(client: TestClient, who: Person, assignment_id: int) -> int:
    return client.post(
        f"/api/v1/assignments/{assignment_id}/submit", json=ANSWER, headers=who.headers
    ).status_code


def test_a_removed_member_can_no_longer_submit_skip_or_flag(client: TestClient, database: Database) -> None:
    boss, ann, other = (person(database, n) for n in ("boss", "ann", "other"))
    pid = project(database, members={boss: "manager", ann: "annotator", other: "annotator"})
    import_rows(client, boss, pid, text_rows(3))
    assert (
        client.patch(f"/api/v1/projects/{pid}", json={"max_leases": 3}, headers=boss.headers).status_code
        == 200
    )
    first, second, third = (next_task(client, ann, pid) for _ in range(3))
    assert first is not None and second is not None and third is not None
    assert client.delete(f"/api/v1/projects/{pid}/members/ann", headers=boss.headers).status_code == 204

    r = client.post(f"/api/v1/assignments/{first['id']}/submit", json=ANSWER, headers=ann.headers)
    assert r.status_code == 403, r.text
    assert "no longer a member" in r.json()["error"]["message"]
    assert client.post(f"/api/v1/assignments/{second['id']}/skip", headers=ann.headers).status_code == 403
    flagged = client.post(
        f"/api/v1/assignments/{third['id']}/flag", json={"reason": "x"}, headers=ann.headers
    )
    assert flagged.status_code == 403
    # The removal ended the leases: all three items go to someone else now, not when the leases run out.
    client.patch(f"/api/v1/projects/{pid}", json={"max_leases": 1}, headers=boss.headers)
    served = set()
    for _ in range(3):
        task = next_task(client, other, pid)
        assert task is not None
        served.add(task["item"]["id"])
        assert _submit(client, other, task["id"]) == 201
    assert served == {first["item"]["id"], second["item"]["id"], third["item"]["id"]}
    audit = client.get(f"/api/v1/projects/{pid}/judgments", headers=boss.headers).json()["judgments"]
    assert {j["annotator"] for j in audit} == {"other"}


def test_no_submit_skip_or_flag_in_a_paused_project(client: TestClient, database: Database) -> None:
    boss, ann = person(database, "boss"), person(database, "ann")
    pid = project(database, members={boss: "manager", ann: "annotator"})
    import_rows(client, boss, pid, text_rows(1))
    task = next_task(client, ann, pid)
    assert task is not None
    for state in ("paused", "archived"):
        assert (
            client.patch(f"/api/v1/projects/{pid}", json={"status": state}, headers=boss.headers).status_code
            == 200
        )
        refused_next = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=ANSWER, headers=ann.headers)
        # The same answer `next` gives in a project that hands out no work.
        assert (r.status_code, r.json()["error"]["message"]) == (409, refused_next.json()["error"]["message"])
        assert state in r.json()["error"]["message"]
        assert client.post(f"/api/v1/assignments/{task['id']}/skip", headers=ann.headers).status_code == 409
        flag = client.post(
            f"/api/v1/assignments/{task['id']}/flag", json={"reason": "x"}, headers=ann.headers
        )
        assert flag.status_code == 409
    client.patch(f"/api/v1/projects/{pid}", json={"status": "active"}, headers=boss.headers)
    assert _submit(client, ann, task["id"]) == 201


def test_a_deactivated_users_session_and_token_stop_working(client: TestClient, database: Database) -> None:
    admin, ann = person(database, "admin", admin=True), person(database, "ann")
    login = client.post(
        "/login", data={"username": "ann", "password": "correct horse"}, follow_redirects=False
    )
    assert login.status_code == 303
    assert client.get("/api/v1/me").status_code == 200
    client.patch("/api/v1/users/ann", json={"is_active": False}, headers=admin.headers)
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 401
    assert client.get("/api/v1/me").status_code == 401  # the session cookie


def test_a_leased_reviewer_sees_neither_gold_nor_peers_judgments(
    client: TestClient, database: Database
) -> None:
    boss, ann, rev = person(database, "boss"), person(database, "ann"), person(database, "rev")
    pid = project(database, members={boss: "manager", ann: "annotator", rev: "reviewer"})
    client.patch(f"/api/v1/projects/{pid}", json={"gold_rate": 1.0, "review_rate": 1.0}, headers=boss.headers)
    rows = text_rows(1)
    rows[0]["gold"] = {"labels": ["neg"]}
    import_rows(client, boss, pid, rows)
    peer = next_task(client, ann, pid)
    assert peer is not None
    assert (
        client.post(
            f"/api/v1/assignments/{peer['id']}/submit",
            json={"answer": {"labels": ["neu"]}, "time_spent_ms": 5},
            headers=ann.headers,
        ).status_code
        == 201
    )
    mine = next_task(client, rev, pid)
    assert mine is not None and mine["item"]["id"] == peer["item"]["id"]
    item_id = mine["item"]["id"]

    detail = client.get(f"/api/v1/projects/{pid}/items/{item_id}", headers=rev.headers).json()
    assert detail["gold"] is None and detail["judgments"] == []
    listed = client.get(f"/api/v1/projects/{pid}/items", headers=rev.headers).json()["items"]
    assert [i["gold"] for i in listed] == [None]
    client.post("/login", data={"username": "rev", "password": "correct horse"})
    page = client.get(f"/projects/{pid}/items/{item_id}")
    assert page.status_code == 200
    assert 'id="leased-note"' in page.text
    assert "neg" not in page.text.split('id="leased-note"')[1] and "neu" not in page.text
    # The manager, who holds no lease, sees both.
    assert client.get(f"/api/v1/projects/{pid}/items/{item_id}", headers=boss.headers).json()["gold"] == {
        "labels": ["neg"]
    }

    assert _submit(client, rev, mine["id"]) == 201
    detail = client.get(f"/api/v1/projects/{pid}/items/{item_id}", headers=rev.headers).json()
    assert detail["gold"] == {"labels": ["neg"]}
    assert {j["annotator"] for j in detail["judgments"]} == {"ann", "rev"}
    assert "neu" in client.get(f"/projects/{pid}/items/{item_id}").text


def test_the_review_queue_leaves_out_the_item_a_reviewer_is_working_on(
    client: TestClient, database: Database
) -> None:
    boss, ann, rev = person(database, "boss"), person(database, "ann"), person(database, "rev")
    pid = project(database, overlap=2, members={boss: "manager", ann: "annotator", rev: "reviewer"})
    client.patch(f"/api/v1/projects/{pid}", json={"review_rate": 1.0}, headers=boss.headers)
    import_rows(client, boss, pid, text_rows(1))
    peer = next_task(client, ann, pid)
    assert peer is not None and _submit(client, ann, peer["id"]) == 201
    queue = f"/api/v1/projects/{pid}/reviews/queue"
    waiting = client.get(queue, headers=rev.headers).json()
    assert [j["item_id"] for j in waiting] == [peer["item"]["id"]]
    mine = next_task(client, rev, pid)
    assert mine is not None and mine["item"]["id"] == peer["item"]["id"]
    assert client.get(queue, headers=rev.headers).json() == []
    r = client.post(
        f"/api/v1/judgments/{waiting[0]['id']}/review", json={"verdict": "accept"}, headers=rev.headers
    )
    assert r.status_code == 409
    assert _submit(client, rev, mine["id"]) == 201
    assert [j["id"] for j in client.get(queue, headers=rev.headers).json()] == [waiting[0]["id"]]


def test_deactivating_a_user_ends_their_leases(client: TestClient, database: Database) -> None:
    admin, ann, other = (
        person(database, "admin", admin=True),
        person(database, "ann"),
        person(database, "other"),
    )
    pid = project(database, members={ann: "annotator", other: "annotator"})
    import_rows(client, admin, pid, text_rows(1))
    held = next_task(client, ann, pid)
    assert held is not None
    assert next_task(client, other, pid) is None  # the one item is ann's while her lease lives
    assert (
        client.patch("/api/v1/users/ann", json={"is_active": False}, headers=admin.headers).status_code == 200
    )
    task = next_task(client, other, pid)
    assert task is not None and task["item"]["id"] == held["item"]["id"]
    assert _submit(client, other, task["id"]) == 201
