"""Serving suggestions with ``next``: shown in the lease's screen positions, null when blind, no key at all
when the project offers none; never the model's name or a probe's status; accepted or not, kept with the
judgment; probes on gold measure over-reliance and flag the annotator in the report."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import import_rows, next_task, pairwise_rows, person, project
from quorum.db import Database
from quorum.models import Assignment, Judgment
from suggestion_support import plant, set_policy


def _submit(
    client: TestClient, who: Any, task: dict[str, Any], answer: dict[str, Any], ms: int = 900
) -> None:
    body = {"answer": answer, "time_spent_ms": ms}
    r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=who.headers)
    assert r.status_code == 201, r.text


def test_a_shown_suggestion_is_served_and_its_acceptance_kept(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    import_rows(
        client, admin, pid, [{"external_id": f"i{n}", "payload": {"text": f"t{n}"}} for n in range(4)]
    )
    # Share 0: nothing of suggestions anywhere, even with suggestions stored.
    plant(database, pid, {f"i{n}": {"labels": ["neg"]} for n in range(4)})
    r = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)
    assert "suggestion" not in r.json()["assignment"] and "m-secret" not in r.text
    _submit(client, ann, r.json()["assignment"], {"labels": ["pos"]})
    set_policy(client, admin, pid, suggestion_share=1.0)
    r = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)
    task = r.json()["assignment"]
    assert task["suggestion"] == {"answer": {"labels": ["neg"]}}
    assert "m-secret" not in r.text and "probe" not in r.text
    _submit(client, ann, task, {"labels": ["neg"]})
    task = next_task(client, ann, pid)
    assert task is not None
    _submit(client, ann, task, {"labels": ["pos"]})
    with database.session() as db:
        kept = [a for (a,) in db.execute(select(Judgment.assistance).order_by(Judgment.id))]
    assert kept[0] is None
    assert kept[1]["suggestion"] == "shown" and kept[1]["accepted"] is True and kept[1]["suggestion_id"]
    assert kept[2]["accepted"] is False and kept[2]["answer"] == {"labels": ["neg"]}
    # Exports say, per judgment, whether a suggestion was shown, whose it was and whether it was taken.
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "jsonl"}, headers=admin.headers)
    exported = [j["suggestion"] for line in r.text.splitlines() for j in json.loads(line)["judgments"]]
    assert exported.count(None) == 1
    assisted = [e for e in exported if e is not None]
    assert sorted(e["accepted"] for e in assisted) == [False, True]
    assert all(e["shown"] and e["model"] == "m-secret" and e["source"] == "model" for e in assisted)


def test_a_blind_assignment_gets_null(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    import_rows(client, admin, pid, [{"external_id": "i0", "payload": {"text": "t"}}])
    plant(database, pid, {"i0": {"labels": ["neg"]}})
    set_policy(client, admin, pid, suggestion_share=1e-9)
    r = client.post(f"/api/v1/projects/{pid}/next", headers=admin.headers)
    assert r.json()["assignment"]["suggestion"] is None and "neg" not in r.text
    with database.session() as db:
        arms = db.scalar(select(Assignment.assistance))
    assert arms == {"suggestion": "blind", "probe": False}


def test_a_pairwise_suggestion_speaks_the_screen_positions(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p", task_type="pairwise")
    import_rows(client, admin, pid, pairwise_rows(6))
    plant(database, pid, {f"p{n}": {"choice": "A", "strength": "better"} for n in range(6)})
    set_policy(client, admin, pid, suggestion_share=1.0)
    orders = set()
    for _ in range(6):
        task = next_task(client, admin, pid)
        assert task is not None
        order = task["item"]["display_order"]
        orders.add(tuple(order))
        # Candidate 0 is preferred: on screen it is "A" only where it is shown first.
        expected = "A" if order[0] == 0 else "B"
        assert task["suggestion"] == {"answer": {"choice": expected, "strength": "better"}}
        _submit(client, admin, task, task["suggestion"]["answer"])
    with database.session() as db:
        kept = [a for (a,) in db.execute(select(Judgment.assistance))]
        answers = [a for (a,) in db.execute(select(Judgment.answer))]
    assert all(a["accepted"] for a in kept) and all(a["choice"] == "A" for a in answers)


def test_probes_show_a_wrong_answer_on_gold_and_flag_who_takes_them(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    rows = [
        {"external_id": f"g{n}", "payload": {"text": f"g{n}"}, "gold": {"labels": ["pos"]}} for n in range(3)
    ]
    import_rows(client, admin, pid, rows)
    plant(database, pid, {f"g{n}": {"labels": ["pos"]} for n in range(3)})
    set_policy(
        client, admin, pid, gold_rate=1.0, suggestion_share=1.0, probe_rate=1.0, probe_flag_threshold=0.5
    )
    for _ in range(3):
        r = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)
        task = r.json()["assignment"]
        # A wrong answer, looking like any suggestion: the annotator cannot tell it is a probe.
        assert task["suggestion"]["answer"] != {"labels": ["pos"]} and "probe" not in r.text
        _submit(client, ann, task, task["suggestion"]["answer"], ms=500)
    r = client.get(f"/api/v1/projects/{pid}/assistance", headers=admin.headers)
    assert r.status_code == 200, r.text
    people = {a["username"]: a for a in r.json()["suggestions"]["annotators"]}
    assert people["ann"]["probe_shown"] == 3 and people["ann"]["probe_accepted"] == 3
    assert people["ann"]["probe_acceptance_rate"] == 1.0 and people["ann"]["flagged"] is True
    assert people["ann"]["fast_accepts"] == 3
    # Managers see who over-relies on suggestions on the quality page.
    assert client.post("/login", data={"username": "admin", "password": "correct horse"}).status_code == 200
    page = client.get(f"/projects/{pid}/quality")
    assert page.status_code == 200 and "assistance-flagged" in page.text and "ann" in page.text
    # Annotators may not read the report.
    assert client.get(f"/api/v1/projects/{pid}/assistance", headers=ann.headers).status_code == 403
