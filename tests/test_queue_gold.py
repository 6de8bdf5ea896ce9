"""Gold items: served at the project's gold rate, never twice to one person, scored at submit, and
indistinguishable from other items in what annotators see."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.models import Item, Judgment


def _submit(client: TestClient, who: Person, task: dict[str, Any], label: str) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/assignments/{task['id']}/submit",
        json={"answer": {"labels": [label]}, "time_spent_ms": 10},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _setup(client: TestClient, database: Database, gold_rate: float) -> tuple[Person, Person, int]:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "gold", overlap=1, members={a: "annotator", b: "annotator"})
    r = client.patch(f"/api/v1/projects/{pid}", json={"gold_rate": gold_rate}, headers=admin.headers)
    assert r.status_code == 200, r.text
    rows = text_rows(2)
    # Gold rows come last and have the lowest priority: only the gold turn can bring them forward.
    rows += [{**row, "gold": {"labels": ["pos"]}, "priority": -1} for row in text_rows(2, prefix="gold")]
    import_rows(client, admin, pid, rows)
    return a, b, pid


def test_gold_turns_serve_gold_once_per_person_and_score_it(client: TestClient, database: Database) -> None:
    a, b, pid = _setup(client, database, gold_rate=1.0)
    seen: list[str] = []
    for label in ("pos", "neg"):
        task = next_task(client, a, pid)
        assert task is not None
        assert "gold" not in task["item"] and "gold" not in str(task["item"]["payload"])
        seen.append(task["item"]["external_id"])
        body = _submit(client, a, task, label)
        assert "gold_score" not in body["judgment"]
    assert sorted(seen) == ["gold0", "gold1"]
    # Gold exhausted for a: ordinary work follows. Gold takes no overlap slot: b gets both too.
    task = next_task(client, a, pid)
    assert task is not None and task["item"]["external_id"].startswith("t")
    for _ in range(2):
        task_b = next_task(client, b, pid)
        assert task_b is not None and task_b["item"]["external_id"].startswith("gold")
        _submit(client, b, task_b, "pos")
    with database.session() as db:
        scores = dict(
            db.execute(
                select(Item.external_id, Judgment.gold_score)
                .join(Judgment, Judgment.item_id == Item.id)
                .where(Judgment.user_id == a.id)
            ).all()
        )
        assert scores == {seen[0]: 1.0, seen[1]: 0.0}
        gold_items = db.execute(
            select(Item.status, Item.judgment_count).where(Item.external_id.like("gold%"))
        ).all()
        assert sorted(gold_items) == [("open", 2), ("open", 2)]
        ordinary = db.scalars(select(Judgment.gold_score).join(Item).where(Item.external_id.like("t%"))).all()
        assert all(score is None for score in ordinary)


def test_no_gold_rate_no_gold(client: TestClient, database: Database) -> None:
    a, _, pid = _setup(client, database, gold_rate=0.0)
    served = []
    while (task := next_task(client, a, pid)) is not None:
        served.append(task["item"]["external_id"])
        _submit(client, a, task, "pos")
    assert served == ["t0", "t1"]


def test_a_gold_rate_must_be_a_share(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    r = client.patch(f"/api/v1/projects/{pid}", json={"gold_rate": 1.5}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "gold_rate"


def test_the_quality_gate_stops_an_annotator_who_fails_gold(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "gate", overlap=2, members={a: "annotator", b: "annotator"})
    r = client.patch(
        f"/api/v1/projects/{pid}",
        json={"gold_rate": 1.0, "min_gold_accuracy": 0.5, "min_gold_judged": 2},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    rows = text_rows(3) + [{**row, "gold": {"labels": ["pos"]}} for row in text_rows(3, prefix="gold")]
    import_rows(client, admin, pid, rows)
    # a answers both first gold items wrong; b answers right.
    for who, label in ((a, "neg"), (b, "pos")):
        for _ in range(2):
            task = next_task(client, who, pid)
            assert task is not None and task["item"]["external_id"].startswith("gold")
            _submit(client, who, task, label)
    refused = client.post(f"/api/v1/projects/{pid}/next", headers=a.headers)
    assert refused.status_code == 403
    assert "0%" in refused.json()["error"]["message"] and "50%" in refused.json()["error"]["message"]
    assert next_task(client, b, pid) is not None
    report = client.get(f"/api/v1/projects/{pid}/quality-gate", headers=admin.headers).json()
    assert report == [
        {"username": "a", "gold_judged": 2, "gold_accuracy": 0.0, "gated": True},
        {"username": "b", "gold_judged": 2, "gold_accuracy": 1.0, "gated": False},
    ]
    assert client.get(f"/api/v1/projects/{pid}/quality-gate", headers=b.headers).status_code == 403
    # The manager lowers the bar: a works again.
    client.patch(f"/api/v1/projects/{pid}", json={"min_gold_accuracy": None}, headers=admin.headers)
    assert next_task(client, a, pid) is not None
