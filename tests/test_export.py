from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import as_shown, import_rows, pairwise_rows, person, project, text_rows
from quorum.db import Database
from quorum.models import AuditEvent


def _annotate(client, who, pid, answer):
    task = client.post(f"/api/v1/projects/{pid}/next", headers=who.headers).json()["assignment"]
    r = client.post(
        f"/api/v1/assignments/{task['id']}/submit",
        json={"answer": answer(task), "time_spent_ms": 7},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text


def test_jsonl_export_has_items_with_their_judgments(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "p", overlap=2, members={a: "annotator", b: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    for who in (a, b):
        _annotate(client, who, pid, lambda t: {"labels": ["neg"]})
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "jsonl"}, headers=admin.headers)
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["external_id"] for row in rows] == ["t0", "t1"]
    judged = rows[0]
    assert {j["annotator"] for j in judged["judgments"]} == {"a", "b"}
    assert judged["judgments"][0]["answer"] == {"labels": ["neg"]}
    assert judged["judgments"][0]["guideline_version"] == 1
    assert judged["consensus"]["answer"] == {"labels": ["neg"]}
    assert judged["consensus"]["confidence"] == 1.0
    assert rows[1]["judgments"] == [] and rows[1]["consensus"] is None


def test_dpo_export(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "pw", task_type="pairwise", members={a: "annotator"})
    import_rows(client, admin, pid, pairwise_rows(3))
    answers = iter(
        [{"choice": "A", "strength": "better"}, {"choice": "B", "strength": "slightly"}, {"choice": "tie"}]
    )
    for _ in range(3):
        _annotate(client, a, pid, lambda t: as_shown(t, "pairwise", next(answers)))
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "dpo"}, headers=admin.headers)
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == 2  # the tie gives no preference pair
    first, second = rows
    assert first["prompt"] == [{"role": "user", "content": "question 0?"}]
    assert first["chosen"] == [{"role": "assistant", "content": "good answer 0"}]
    assert first["rejected"] == [{"role": "assistant", "content": "bad answer 0"}]
    assert first["chosen_model"] == "big"
    assert second["chosen"][0]["content"] == "bad answer 1"


def test_unknown_format_is_a_clear_error(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "dpo"}, headers=admin.headers)
    assert r.status_code == 422
    assert "jsonl, labels" in r.json()["error"]["message"]


def test_the_streamed_jsonl_export_writes_its_audit_event(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    import_rows(client, admin, pid, text_rows(3))
    r = client.get(
        f"/api/v1/projects/{pid}/export",
        params={"format": "jsonl", "pseudonymize": "true"},
        headers=admin.headers,
    )
    assert r.status_code == 200 and len(r.text.splitlines()) == 3
    with database.session() as db:
        events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "export")))
    assert [(e.actor_id, e.project_id, e.object_type, e.object_id) for e in events] == [
        (admin.id, pid, "project", pid)
    ]
    assert events[0].data == {
        "format": "jsonl",
        "output": "jsonl",
        "rows": 3,
        "out": "response",
        "pseudonyms": True,
        "method": "default",
    }
