"""Undoing a verdict (own, within the window, audited), the last active admin, and item comment threads
(who reads, who writes, audit, bad input)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import import_rows, person, project, text_rows
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.errors import Conflict
from quorum.models import AuditEvent, Review


def _reviewed(client: TestClient, database: Database):  # type: ignore[no-untyped-def]
    boss = person(database, "boss", admin=True)
    ann = person(database, "ann")
    rev = person(database, "rev")
    other = person(database, "rev2")
    pid = project(database, "undo", members={ann: "annotator", rev: "reviewer", other: "reviewer"})
    client.patch(f"/api/v1/projects/{pid}", json={"review_rate": 1.0}, headers=boss.headers)
    import_rows(client, boss, pid, text_rows(2))
    while (r := client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)).status_code == 200:
        task = r.json()["assignment"]
        client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": {"labels": ["pos"]}, "time_spent_ms": 100},
            headers=ann.headers,
        )
    return pid, boss, ann, rev, other


def test_a_verdict_can_be_undone_by_its_reviewer_for_a_while(client: TestClient, database: Database) -> None:
    pid, _, _, rev, other = _reviewed(client, database)
    queue = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json()
    first = queue[0]["id"]
    made = client.post(f"/api/v1/judgments/{first}/review", json={"verdict": "accept"}, headers=rev.headers)
    assert made.status_code == 201
    review_id = made.json()["id"]
    waiting = [
        j["id"] for j in client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json()
    ]
    assert first not in waiting

    # Not someone else's.
    assert client.post(f"/api/v1/reviews/{review_id}/undo", headers=other.headers).status_code == 403
    r = client.post(f"/api/v1/reviews/{review_id}/undo", headers=rev.headers)
    assert r.status_code == 200 and r.json() == {
        "undone": review_id,
        "judgment_id": first,
        "verdict": "accept",
    }
    waiting = [
        j["id"] for j in client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json()
    ]
    assert waiting[0] == first  # back in the queue, at its place
    assert client.post(f"/api/v1/reviews/{review_id}/undo", headers=rev.headers).status_code == 404

    # Too late: the window has passed.
    again = client.post(f"/api/v1/judgments/{first}/review", json={"verdict": "accept"}, headers=rev.headers)
    with database.session() as db:
        recorded = db.get(Review, again.json()["id"])
        assert recorded is not None
        recorded.created_at = recorded.created_at - timedelta(minutes=2)
    late = client.post(f"/api/v1/reviews/{again.json()['id']}/undo", headers=rev.headers)
    assert late.status_code == 409 and "no longer" in late.json()["error"]["message"]

    with database.session() as db:
        actions = list(
            db.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("judgment.review%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["judgment.review", "judgment.review.undo", "judgment.review"]


def test_the_last_active_admin_cannot_be_deactivated(client: TestClient, database: Database) -> None:
    boss = person(database, "boss", admin=True)
    with database.session() as db:
        me = accounts.get_user(db, "boss")
        with pytest.raises(Conflict, match="last active admin"):
            accounts.update_user(db, me, actor=me, is_active=False)
        with pytest.raises(Conflict, match="last active admin"):
            accounts.update_user(db, me, actor=me, is_admin=False)
    with database.session() as db:
        other = accounts.create_user(db, "second", password="correct horse", is_admin=True)
        accounts.update_user(db, accounts.get_user(db, "boss"), actor=other, is_active=False)
    with database.session() as db:
        assert not accounts.get_user(db, "boss").is_active
    assert boss.username == "boss"


def test_comment_threads(client: TestClient, database: Database) -> None:
    pid, boss, ann, rev, _ = _reviewed(client, database)
    stranger = person(database, "stranger")
    client.put(f"/api/v1/projects/{pid}/members/stranger", json={"role": "annotator"}, headers=boss.headers)
    item = client.get(f"/api/v1/projects/{pid}/items", headers=boss.headers).json()["items"][0]["id"]
    url = f"/api/v1/projects/{pid}/items/{item}/comments"

    made = client.post(url, json={"body": "Is this **sarcasm**? <script>x</script>"}, headers=rev.headers)
    assert made.status_code == 201 and made.json()["author"] == "rev"
    assert client.post(url, json={"body": "  "}, headers=boss.headers).status_code == 422
    assert client.post(url, json={"body": "x" * 5001}, headers=boss.headers).status_code == 422
    # Annotators: hidden by default (as if the item were not there), then read, then write.
    assert client.get(url, headers=ann.headers).status_code == 404
    client.patch(f"/api/v1/projects/{pid}", json={"annotator_comments": "read"}, headers=boss.headers)
    thread = client.get(url, headers=ann.headers).json()
    assert [c["author"] for c in thread["comments"]] == ["rev"] and thread["can_write"] is False
    assert client.post(url, json={"body": "yes"}, headers=ann.headers).status_code == 403
    # An annotator who never worked on the item sees nothing of it.
    assert client.get(url, headers=stranger.headers).status_code == 404
    client.patch(f"/api/v1/projects/{pid}", json={"annotator_comments": "write"}, headers=boss.headers)
    assert client.post(url, json={"body": "yes, sarcasm"}, headers=ann.headers).status_code == 201
    bad = client.patch(
        f"/api/v1/projects/{pid}", json={"annotator_comments": "sometimes"}, headers=boss.headers
    )
    assert bad.status_code == 422
    assert [c["body"] for c in client.get(url, headers=boss.headers).json()["comments"]][1] == "yes, sarcasm"
    with database.session() as db:
        assert len(list(db.scalars(select(AuditEvent.id).where(AuditEvent.action == "item.comment")))) == 2
