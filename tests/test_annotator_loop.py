from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment, Item, Judgment

ANSWER = {"answer": {"labels": ["pos"]}, "time_spent_ms": 1200}


def _submit(
    client: TestClient, who: Person, assignment_id: int, key: str | None = None, body: dict | None = None
):
    headers = dict(who.headers)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/assignments/{assignment_id}/submit", json=body or ANSWER, headers=headers)


def _setup(database: Database, client: TestClient, n_items: int, overlap: int, n_annotators: int):
    admin = person(database, "admin", admin=True)
    annotators = [person(database, f"a{i}") for i in range(n_annotators)]
    pid = project(database, "loop", overlap=overlap, members={a: "annotator" for a in annotators})
    import_rows(client, admin, pid, text_rows(n_items))
    return admin, annotators, pid


def test_overlap_respected_and_nobody_judges_twice(client: TestClient, database: Database) -> None:
    _, annotators, pid = _setup(database, client, n_items=4, overlap=2, n_annotators=3)
    done: dict[str, list[int]] = {a.username: [] for a in annotators}
    for _ in range(10):
        for a in annotators:
            task = next_task(client, a, pid)
            if task is None:
                continue
            assert task["item"]["id"] not in done[a.username]
            assert "gold" not in task["item"]
            assert _submit(client, a, task["id"]).status_code == 201
            done[a.username].append(task["item"]["id"])
    assert sum(len(v) for v in done.values()) == 8
    with database.session() as db:
        per_item = db.execute(select(Judgment.item_id, func.count()).group_by(Judgment.item_id)).all()
        assert sorted(n for _, n in per_item) == [2, 2, 2, 2]
        assert set(db.scalars(select(Item.status))) == {"complete"}
    assert all(next_task(client, a, pid) is None for a in annotators)


def test_asking_again_returns_the_same_lease(client: TestClient, database: Database) -> None:
    _, (a,), pid = _setup(database, client, n_items=3, overlap=1, n_annotators=1)
    first = next_task(client, a, pid)
    again = next_task(client, a, pid)
    assert first is not None and again is not None
    assert again["id"] == first["id"]


def test_expired_lease_returns_the_item_to_the_pool(client: TestClient, database: Database) -> None:
    _, (a, b), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=2)
    task = next_task(client, a, pid)
    assert task is not None
    assert next_task(client, b, pid) is None
    with database.session() as db:
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    task_b = next_task(client, b, pid)
    assert task_b is not None and task_b["item"]["id"] == task["item"]["id"]
    # a's lease expired and b holds the only slot: a's late submit is refused with a clear message.
    late = _submit(client, a, task["id"])
    assert late.status_code == 409
    assert "expired" in late.json()["error"]["message"]
    assert _submit(client, b, task_b["id"]).status_code == 201


def test_late_submit_is_accepted_while_the_slot_is_free(client: TestClient, database: Database) -> None:
    _, (a,), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=1)
    task = next_task(client, a, pid)
    with database.session() as db:
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert _submit(client, a, task["id"]).status_code == 201


def test_idempotent_submit(client: TestClient, database: Database) -> None:
    _, (a,), pid = _setup(database, client, n_items=2, overlap=1, n_annotators=1)
    task = next_task(client, a, pid)
    first = _submit(client, a, task["id"], key="k-1")
    again = _submit(client, a, task["id"], key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    without_key = _submit(client, a, task["id"])
    assert without_key.status_code == 409
    other = next_task(client, a, pid)
    reused = _submit(client, a, other["id"], key="k-1")
    assert reused.status_code == 409
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Judgment)) == 1


def test_submit_on_someone_elses_assignment_is_forbidden(client: TestClient, database: Database) -> None:
    _, (a, b), pid = _setup(database, client, n_items=1, overlap=2, n_annotators=2)
    task = next_task(client, a, pid)
    r = _submit(client, b, task["id"])
    assert r.status_code == 403
    assert "someone else" in r.json()["error"]["message"]
    assert client.post("/api/v1/assignments/9999/submit", json=ANSWER, headers=a.headers).status_code == 404


def test_invalid_answers_are_rejected_with_the_field(client: TestClient, database: Database) -> None:
    _, (a,), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=1)
    task = next_task(client, a, pid)
    r = _submit(client, a, task["id"], body={"answer": {"labels": ["pos", "neg"]}, "time_spent_ms": 3})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "answer.labels"
    r = _submit(client, a, task["id"], body={"answer": {"labels": ["maybe"]}, "time_spent_ms": 3})
    assert r.json()["error"]["details"][0]["field"] == "answer.labels.0"
    r = _submit(client, a, task["id"], body={"answer": {"labels": ["pos"]}, "time_spent_ms": -1})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "time_spent_ms"
    assert _submit(client, a, task["id"]).status_code == 201


def test_skip_is_not_served_again(client: TestClient, database: Database) -> None:
    _, (a,), pid = _setup(database, client, n_items=2, overlap=1, n_annotators=1)
    first = next_task(client, a, pid)
    r = client.post(
        f"/api/v1/assignments/{first['id']}/skip", json={"reason": "unreadable"}, headers=a.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "skipped"
    second = next_task(client, a, pid)
    assert second["item"]["id"] != first["item"]["id"]
    assert _submit(client, a, second["id"]).status_code == 201
    assert next_task(client, a, pid) is None
    assert _submit(client, a, first["id"]).status_code == 409


def test_priority_then_age(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "prio", members={a: "annotator"})
    rows = text_rows(3)
    rows[2]["priority"] = 5
    import_rows(client, admin, pid, rows)
    order = []
    while (task := next_task(client, a, pid)) is not None:
        order.append(task["item"]["external_id"])
        _submit(client, a, task["id"])
    assert order == ["t2", "t0", "t1"]


def test_paused_project_hands_out_nothing(client: TestClient, database: Database) -> None:
    admin, (a,), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=1)
    assert (
        client.patch(f"/api/v1/projects/{pid}", json={"status": "paused"}, headers=admin.headers).status_code
        == 200
    )
    r = client.post(f"/api/v1/projects/{pid}/next", headers=a.headers)
    assert r.status_code == 409
    assert "paused" in r.json()["error"]["message"]


def test_raising_overlap_reopens_complete_items(client: TestClient, database: Database) -> None:
    admin, (a, b), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=2)
    _submit(client, a, next_task(client, a, pid)["id"])
    assert next_task(client, b, pid) is None
    client.patch(f"/api/v1/projects/{pid}", json={"overlap": 2}, headers=admin.headers)
    task = next_task(client, b, pid)
    assert task is not None


def test_judgment_records_guideline_version(client: TestClient, database: Database) -> None:
    admin, (a,), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=1)
    client.put(f"/api/v1/projects/{pid}/guidelines", json={"body": "v2 rules"}, headers=admin.headers)
    r = _submit(client, a, next_task(client, a, pid)["id"])
    assert r.json()["judgment"]["guideline_version"] == 2
    history = client.get(f"/api/v1/projects/{pid}/guidelines/history", headers=a.headers).json()
    assert [g["version"] for g in history] == [2, 1]


def test_a_duplicate_submit_waiting_on_the_first_is_replayed(client: TestClient, database: Database) -> None:
    """The second request with the same key arrives while the first holds the assignment: once the first
    commits, the second answers with the first's judgment instead of a conflict."""
    import threading

    from quorum.assignments import service
    from quorum.models import User

    _, (a,), pid = _setup(database, client, n_items=1, overlap=1, n_annotators=1)
    task = next_task(client, a, pid)
    results: list[service.Submitted | Exception] = []

    def second() -> None:
        try:
            with database.session() as db:
                user = db.get(User, a.id)
                assert user is not None
                results.append(service.submit(db, user, task["id"], {"labels": ["pos"]}, 5, "dup-key"))
        except Exception as exc:  # the assertion below names it
            results.append(exc)

    with database.session() as db:
        user = db.get(User, a.id)
        assert user is not None
        first = service.submit(db, user, task["id"], {"labels": ["pos"]}, 5, "dup-key")
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the second submit should wait for the first's lock"
        first_id = first.judgment.id
    waiting.join(timeout=30)
    assert len(results) == 1 and isinstance(results[0], service.Submitted), results
    assert results[0].replayed and results[0].judgment.id == first_id
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Judgment)) == 1


def test_a_submit_writes_its_judgment_lease_item_and_audit_event(
    client: TestClient, database: Database
) -> None:
    # On PostgreSQL these four writes are one statement; the session's objects must agree with the rows.
    from quorum.accounts.service import user_for_token
    from quorum.assignments import service
    from quorum.models import AuditEvent

    _, (a, b), pid = _setup(database, client, n_items=1, overlap=2, n_annotators=2)
    first = next_task(client, a, pid)
    assert first is not None
    assert _submit(client, a, first["id"], key="k1").status_code == 201
    second = next_task(client, b, pid)
    assert second is not None
    with database.session() as db:
        user = user_for_token(db, b.token)
        done = service.submit(db, user, second["id"], ANSWER["answer"], 900, "k2")
        judgment, item_id = done.judgment, second["item"]["id"]
        assignment, item = db.get(Assignment, second["id"]), db.get(Item, item_id)
        assert assignment is not None and item is not None
        in_session = (assignment.status, assignment.finished_at, item.judgment_count, item.status)
        assert db.get(Judgment, judgment.id) is judgment
    assert in_session == ("submitted", judgment.created_at, 2, "complete")
    with database.session() as db:
        stored = db.get(Judgment, judgment.id)
        assert stored is not None
        assert (stored.answer, stored.time_spent_ms, stored.idempotency_key) == (ANSWER["answer"], 900, "k2")
        assignment, item = db.get(Assignment, second["id"]), db.get(Item, item_id)
        assert assignment is not None and item is not None
        assert (assignment.status, assignment.finished_at, item.judgment_count, item.status) == in_session
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "judgment.create").order_by(AuditEvent.id)
        ).all()
        assert [(e.object_id, e.project_id, e.data) for e in events][-1] == (
            judgment.id,
            pid,
            {"item_id": item_id},
        )
        assert events[-1].actor_id == user.id and len(events) == 2


def test_without_credentials_the_loop_answers_401_before_looking_at_the_body(client: TestClient) -> None:
    # The annotator loop authenticates inside its one worker-thread hop; a caller with no credentials at
    # all is still refused before the body is validated, as on every other route.
    assert client.post("/api/v1/assignments/1/submit", json={"bad": 1}).status_code == 401
    assert client.post("/api/v1/assignments/1/submit", json=ANSWER).status_code == 401
    assert client.post("/api/v1/projects/1/next").status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/assignments/1/submit", json=ANSWER, headers=wrong).status_code == 401
