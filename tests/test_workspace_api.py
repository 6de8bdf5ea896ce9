"""The workspace's side requests: drafts, the lease heartbeat and its bound, progress, and editing one's
earlier answers as new versions (validated as a submit, counted once, exported as the latest)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from factories import Person, as_shown, import_rows, next_task, pairwise_rows, person, project, text_rows
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment, AuditEvent, Item, Judgment, JudgmentVersion
from quorum.reviews import service as reviews


def _setup(
    database: Database, client: TestClient, n: int = 3, **kwargs: object
) -> tuple[Person, Person, int]:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "ws", members={ann: "annotator"}, **kwargs)  # type: ignore[arg-type]
    import_rows(client, admin, pid, text_rows(n))
    return admin, ann, pid


def _submit(client: TestClient, who: Person, aid: int, answer: dict, ms: int = 1000) -> int:
    r = client.post(
        f"/api/v1/assignments/{aid}/submit", json={"answer": answer, "time_spent_ms": ms}, headers=who.headers
    )
    assert r.status_code == 201, r.text
    judgment_id: int = r.json()["judgment"]["id"]
    return judgment_id


def test_a_draft_is_kept_restored_and_closed_by_the_submit(client: TestClient, database: Database) -> None:
    admin, ann, pid = _setup(database, client)
    task = next_task(client, ann, pid)
    assert task is not None
    url = f"/api/v1/assignments/{task['id']}/draft"
    assert client.get(url, headers=ann.headers).status_code == 204
    state = {"fields": ["café “quoted” \u00e9"], "pressed": [1]}
    r = client.put(url, json={"state": state, "active_ms": 4200}, headers=ann.headers)
    assert r.status_code == 200, r.text
    r = client.put(url, json={"state": {**state, "pressed": [2]}, "active_ms": 5100}, headers=ann.headers)
    assert r.status_code == 200
    got = client.get(url, headers=ann.headers).json()
    assert got["state"] == {**state, "pressed": [2]} and got["active_ms"] == 5100
    # Someone else's draft is neither readable nor writable; bad input names its field.
    assert client.get(url, headers=admin.headers).status_code == 403
    assert client.put(url, json={"state": {}, "active_ms": 0}, headers=admin.headers).status_code == 403
    bad = client.put(url, json={"state": {}, "active_ms": -1}, headers=ann.headers)
    assert bad.status_code == 422 and "active_ms" in bad.text
    huge = client.put(url, json={"state": {"x": "a" * 150_000}, "active_ms": 1}, headers=ann.headers)
    assert huge.status_code == 422 and huge.json()["error"]["details"][0]["field"] == "state"
    assert client.get(url, headers=ann.headers).json()["active_ms"] == 5100  # the refusal wrote nothing
    # Asking again (a reload) gives the same lease, whose draft is still there.
    again = next_task(client, ann, pid)
    assert again is not None and again["id"] == task["id"]
    _submit(client, ann, task["id"], {"labels": ["pos"]})
    late = client.put(url, json={"state": state, "active_ms": 1}, headers=ann.headers)
    assert late.status_code == 200  # the edit page keeps the form of a submitted answer too
    skipped = next_task(client, ann, pid)
    assert skipped is not None
    assert client.post(f"/api/v1/assignments/{skipped['id']}/skip", headers=ann.headers).status_code == 200
    closed = client.put(
        f"/api/v1/assignments/{skipped['id']}/draft", json={"state": {}, "active_ms": 0}, headers=ann.headers
    )
    assert closed.status_code == 409


def test_the_heartbeat_extends_the_lease_up_to_the_projects_bound(
    client: TestClient, database: Database
) -> None:
    admin, ann, pid = _setup(database, client, lease_seconds=60)
    patched = client.patch(
        f"/api/v1/projects/{pid}", json={"max_lease_extension_seconds": 100}, headers=admin.headers
    )
    assert patched.status_code == 200 and patched.json()["max_lease_extension_seconds"] == 100
    task = next_task(client, ann, pid)
    assert task is not None
    aid = task["id"]
    # Pretend the lease was taken 50 s ago: a heartbeat now runs it a full lease (60 s) from now.
    with database.session() as db:
        a = db.get(Assignment, aid)
        assert a is not None
        created = utcnow() - timedelta(seconds=50)
        db.execute(
            update(Assignment)
            .where(Assignment.id == aid)
            .values(created_at=created, expires_at=created + timedelta(seconds=60))
        )
    beat = client.post(f"/api/v1/assignments/{aid}/heartbeat", headers=ann.headers)
    assert beat.status_code == 200, beat.text
    expires = datetime.fromisoformat(beat.json()["expires_at"])
    assert abs((expires - (utcnow() + timedelta(seconds=60))).total_seconds()) < 5
    # 150 s in, with 5 s left, the bound (60 + 100 s after the claim) caps it at 10 s from now.
    with database.session() as db:
        created = utcnow() - timedelta(seconds=150)
        db.execute(
            update(Assignment)
            .where(Assignment.id == aid)
            .values(created_at=created, expires_at=utcnow() + timedelta(seconds=5))
        )
    capped = datetime.fromisoformat(
        client.post(f"/api/v1/assignments/{aid}/heartbeat", headers=ann.headers).json()["expires_at"]
    )
    assert abs((capped - (created + timedelta(seconds=160))).total_seconds()) < 1
    assert client.post(f"/api/v1/assignments/{aid}/heartbeat", headers=admin.headers).status_code == 403
    # With no extension allowed the expiry stays; an expired lease is not revived.
    client.patch(f"/api/v1/projects/{pid}", json={"max_lease_extension_seconds": None}, headers=admin.headers)
    same = client.post(f"/api/v1/assignments/{aid}/heartbeat", headers=ann.headers).json()["expires_at"]
    assert datetime.fromisoformat(same) == capped
    with database.session() as db:
        db.execute(update(Assignment).values(expires_at=utcnow() - timedelta(seconds=1)))
    gone = client.post(f"/api/v1/assignments/{aid}/heartbeat", headers=ann.headers)
    assert gone.status_code == 409 and "expired" in gone.json()["error"]["message"]
    refused = client.patch(
        f"/api/v1/projects/{pid}", json={"max_lease_extension_seconds": 0}, headers=admin.headers
    )
    assert refused.status_code == 422 and "max_lease_extension_seconds" in refused.text


def test_progress_counts_today_all_the_queue_and_the_mean_time(
    client: TestClient, database: Database
) -> None:
    _, ann, pid = _setup(database, client, n=4)
    url = f"/api/v1/projects/{pid}/progress"
    assert client.get(url, headers=ann.headers).json() == {
        "done_today": 0,
        "done_total": 0,
        "queue_left": 4,
        "average_ms": None,
    }
    for ms in (1000, 3000):
        task = next_task(client, ann, pid)
        assert task is not None
        _submit(client, ann, task["id"], {"labels": ["pos"]}, ms)
    task = next_task(client, ann, pid)  # held, not counted as left
    assert task is not None
    with database.session() as db:  # one of them was yesterday
        db.execute(
            update(Judgment)
            .where(Judgment.time_spent_ms == 1000)
            .values(created_at=utcnow() - timedelta(days=2))
        )
    got = client.get(url, headers=ann.headers).json()
    assert got == {"done_today": 1, "done_total": 2, "queue_left": 1, "average_ms": 2000}
    bad = client.get(url, params={"tz_offset_minutes": 2000}, headers=ann.headers)
    assert bad.status_code == 422 and "tz_offset_minutes" in bad.text


def test_an_edit_is_a_new_version_counted_once_and_exported_as_the_latest(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    ann, bob = person(database, "ann"), person(database, "bob")
    pid = project(database, "pw", task_type="pairwise", members={ann: "annotator", bob: "annotator"})
    import_rows(client, admin, pid, pairwise_rows(1))
    task = next_task(client, ann, pid)
    assert task is not None
    # ann prefers the good answer (candidate 0), in the positions her lease shows it.
    first = {"choice": "A", "strength": "better", "rationale": "first", "axes": {}}
    jid = _submit(client, ann, task["id"], as_shown(task, "pairwise", first))
    listed = client.get(f"/api/v1/projects/{pid}/my-judgments", params={"limit": 5}, headers=ann.headers)
    assert listed.status_code == 200
    (recent,) = listed.json()
    assert recent["id"] == jid and recent["versions"] == 0
    assert recent["answer"] == as_shown(task, "pairwise", first)  # as she saw it
    # Second thoughts: the bad answer (candidate 1) after all, again in her screen positions.
    second = {"choice": "B", "strength": "slightly", "rationale": "second", "axes": {}}
    edited = client.patch(
        f"/api/v1/judgments/{jid}",
        json={"answer": as_shown(task, "pairwise", second), "time_spent_ms": 500},
        headers=ann.headers,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["judgment"]["versions"] == 1
    assert [v["answer"]["rationale"] for v in body["versions"]] == ["first"]
    # Validated as a submit (there is no response C), and the refusal changes nothing.
    bad = client.patch(f"/api/v1/judgments/{jid}", json={"answer": {"choice": "C"}}, headers=ann.headers)
    assert bad.status_code == 422 and "choice" in bad.text
    assert (
        client.patch(f"/api/v1/judgments/{jid}", json={"answer": first}, headers=bob.headers).status_code
        == 403
    )
    # Unchanged: not a new version.
    same = client.patch(
        f"/api/v1/judgments/{jid}", json={"answer": as_shown(task, "pairwise", second)}, headers=ann.headers
    )
    assert same.json()["judgment"]["versions"] == 1
    with database.session() as db:
        stored = db.get(Judgment, jid)
        assert stored is not None
        assert stored.answer["choice"] == "B" and stored.answer["rationale"] == "second"  # canonical
        assert stored.time_spent_ms == 1500
        assert db.scalar(select(Item.judgment_count)) == 1
        assert len(db.scalars(select(JudgmentVersion)).all()) == 1
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "judgment.edit")).all()
        assert [(e.object_id, e.data["version"]) for e in events] == [(jid, 2)]
    exported = client.get(f"/api/v1/projects/{pid}/export", headers=admin.headers)
    lines = [json.loads(line) for line in exported.text.splitlines() if line.strip()]
    judgments = [j for line in lines for j in line.get("judgments", [])]
    assert [j["answer"]["rationale"] for j in judgments] == ["second"], lines
    history = client.get(f"/api/v1/judgments/{jid}/history", headers=ann.headers).json()
    assert history["judgment"]["answer"]["rationale"] == "second" and len(history["versions"]) == 1
    # Once reviewed, the answer is what the verdict speaks of: no more edits.
    with database.session() as db:
        from quorum.accounts.service import get_user

        reviews.review(db, get_user(db, "admin"), jid, "accept", None, "")
    late = client.patch(
        f"/api/v1/judgments/{jid}", json={"answer": as_shown(task, "pairwise", first)}, headers=ann.headers
    )
    assert late.status_code == 409 and "reviewed" in late.json()["error"]["message"]
    too_many = client.get(f"/api/v1/projects/{pid}/my-judgments", params={"limit": 1000}, headers=ann.headers)
    assert too_many.status_code == 422 and "limit" in too_many.text
