"""Qualification sets: gold served first as a test with a pass mark; failing stops the work, a manager's
reset starts a new attempt; too little gold left is said plainly instead of serving ordinary work."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cli_runner import quorum_command
from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.models import Assignment, AuditEvent, Qualification


def _submit(client: TestClient, who: Person, task: dict[str, Any], label: str) -> None:
    r = client.post(
        f"/api/v1/assignments/{task['id']}/submit",
        json={"answer": {"labels": [label]}, "time_spent_ms": 10},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text


def _setup(
    client: TestClient,
    database: Database,
    *,
    size: int | None,
    threshold: float,
    gold: int,
    gold_rate: float = 0.0,
) -> tuple[Person, Person, Person, int]:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "qual", overlap=1, members={a: "annotator", b: "annotator"})
    r = client.patch(
        f"/api/v1/projects/{pid}",
        json={"qualification_size": size, "qualification_threshold": threshold, "gold_rate": gold_rate},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["qualification_size"] == size
    assert r.json()["qualification_threshold"] == threshold
    # Ordinary items come first by priority: only the qualification brings the gold forward.
    rows = [{**row, "priority": 5} for row in text_rows(3)]
    rows += [{**row, "gold": {"labels": ["pos"]}} for row in text_rows(gold, prefix="gold")]
    import_rows(client, admin, pid, rows)
    return admin, a, b, pid


def _report(client: TestClient, admin: Person, pid: int) -> dict[str, dict[str, Any]]:
    r = client.get(f"/api/v1/projects/{pid}/qualifications", headers=admin.headers)
    assert r.status_code == 200, r.text
    return {row["username"]: row for row in r.json()}


def test_passing_leads_to_normal_work_and_failing_stops_it(client: TestClient, database: Database) -> None:
    admin, a, b, pid = _setup(client, database, size=2, threshold=0.5, gold=4)
    served: dict[str, list[str]] = {"a": [], "b": []}
    for who, label in ((a, "pos"), (b, "neg")):
        for _ in range(2):
            task = next_task(client, who, pid)
            assert task is not None
            # Only gold while qualifying, although ordinary items have a higher priority.
            assert task["item"]["external_id"].startswith("gold")
            served[who.username].append(task["item"]["external_id"])
            _submit(client, who, task, label)
    assert len(set(served["a"])) == 2 and len(set(served["b"])) == 2
    # a passed: ordinary work follows (gold rate 0: no more gold).
    task = next_task(client, a, pid)
    assert task is not None and task["item"]["external_id"] == "t0"
    # b failed: refused with the reason and the numbers, every time.
    for _ in range(2):
        refused = client.post(f"/api/v1/projects/{pid}/next", headers=b.headers)
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["details"]["reason"] == "qualification_failed"
        assert "did not pass the qualification" in error["message"]
        assert "0%" in error["message"] and "50%" in error["message"]
    report = _report(client, admin, pid)
    assert report["a"]["status"] == "passed" and report["a"]["score"] == 1.0 and report["a"]["judged"] == 2
    assert report["b"]["status"] == "failed" and report["b"]["score"] == 0.0 and report["b"]["attempt"] == 1
    assert report["b"]["decided_at"] is not None
    # Managers only.
    assert client.get(f"/api/v1/projects/{pid}/qualifications", headers=b.headers).status_code == 403
    assert client.post(f"/api/v1/projects/{pid}/qualifications/b/reset", headers=a.headers).status_code == 403
    # The reset: a new attempt on gold b has not seen; passing it opens ordinary work.
    r = client.post(f"/api/v1/projects/{pid}/qualifications/b/reset", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["attempt"] == 2 and r.json()["status"] == "pending" and r.json()["judged"] == 0
    again: list[str] = []
    for _ in range(2):
        task = next_task(client, b, pid)
        assert task is not None and task["item"]["external_id"].startswith("gold")
        again.append(task["item"]["external_id"])
        _submit(client, b, task, "pos")
    assert not set(again) & set(served["b"])
    task = next_task(client, b, pid)
    assert task is not None and task["item"]["external_id"].startswith("t")
    report = _report(client, admin, pid)
    assert report["b"]["status"] == "passed" and report["b"]["attempt"] == 2 and report["b"]["score"] == 1.0
    with database.session() as db:
        actions = set(db.scalars(select(AuditEvent.action)))
        assert {"qualification.passed", "qualification.failed", "qualification.reset"} <= actions


def test_not_enough_gold_is_said_plainly(client: TestClient, database: Database) -> None:
    admin, a, _, pid = _setup(client, database, size=3, threshold=0.5, gold=2)
    refused = client.post(f"/api/v1/projects/{pid}/next", headers=a.headers)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "not enough gold items for the qualification" in error["message"]
    assert error["details"] == {"reason": "qualification_short", "needed": 3, "available": 2}
    # Nothing was leased meanwhile, not even ordinary work.
    with database.session() as db:
        assert db.scalars(select(Assignment).where(Assignment.user_id == a.id)).all() == []
    # More gold arrives: the qualification can run.
    import_rows(client, admin, pid, [{**r, "gold": {"labels": ["pos"]}} for r in text_rows(1, prefix="more")])
    task = next_task(client, a, pid)
    assert task is not None and task["item"]["external_id"].startswith(("gold", "more"))


def test_a_retake_needs_gold_not_seen_before(client: TestClient, database: Database) -> None:
    admin, a, _, pid = _setup(client, database, size=2, threshold=1.0, gold=3)
    for label in ("pos", "neg"):
        task = next_task(client, a, pid)
        assert task is not None
        _submit(client, a, task, label)
    assert client.post(f"/api/v1/projects/{pid}/next", headers=a.headers).status_code == 403
    client.post(f"/api/v1/projects/{pid}/qualifications/a/reset", headers=admin.headers)
    # One unseen gold item is left, two are needed.
    refused = client.post(f"/api/v1/projects/{pid}/next", headers=a.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["reason"] == "qualification_short"


def test_without_qualification_nothing_changes(client: TestClient, database: Database) -> None:
    admin, a, _, pid = _setup(client, database, size=None, threshold=0.8, gold=2)
    task = next_task(client, a, pid)
    assert task is not None and task["item"]["external_id"] == "t0"
    r = client.post(f"/api/v1/projects/{pid}/qualifications/a/reset", headers=admin.headers)
    assert r.status_code == 409
    with database.session() as db:
        assert db.scalars(select(Qualification)).all() == []


def test_gold_rate_after_passing_never_repeats_gold(client: TestClient, database: Database) -> None:
    _, a, _, pid = _setup(client, database, size=1, threshold=1.0, gold=2, gold_rate=1.0)
    seen = []
    while (task := next_task(client, a, pid)) is not None:
        seen.append(task["item"]["external_id"])
        _submit(client, a, task, "pos")
    assert sorted(seen) == ["gold0", "gold1", "t0", "t1", "t2"]


def test_settings_are_checked_field_by_field(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    outsider = person(database, "outsider")
    pid = project(database, "p")
    for body, field in (
        ({"qualification_size": -1}, "qualification_size"),
        ({"qualification_size": 0}, "qualification_size"),
        ({"qualification_threshold": 1.5}, "qualification_threshold"),
        ({"qualification_threshold": None}, "qualification_threshold"),
        ({"flag_threshold": 0}, "flag_threshold"),
    ):
        r = client.patch(f"/api/v1/projects/{pid}", json=body, headers=admin.headers)
        assert r.status_code == 422, body
        assert r.json()["error"]["details"][0]["field"] == field
    r = client.patch(f"/api/v1/projects/{pid}", json={"qualification_size": 3}, headers=admin.headers)
    assert r.status_code == 200
    r = client.post(f"/api/v1/projects/{pid}/qualifications/outsider/reset", headers=admin.headers)
    assert r.status_code == 404
    assert outsider.username == "outsider"
    r = client.post(
        "/api/v1/projects",
        json={
            "name": "q2",
            "task_type": "classification",
            "config": {"labels": ["a", "b"]},
            "qualification_size": 2,
            "flag_threshold": 2,
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["qualification_size"] == 2 and r.json()["flag_threshold"] == 2


def test_cli_sets_the_qualification_and_resets_it(
    client: TestClient, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, a, _, pid = _setup(client, database, size=1, threshold=1.0, gold=2)
    task = next_task(client, a, pid)
    assert task is not None
    _submit(client, a, task, "neg")
    assert client.post(f"/api/v1/projects/{pid}/next", headers=a.headers).status_code == 403
    quorum = quorum_command(monkeypatch, database.url, tmp_path)

    done = quorum("project", "qualification-reset", "qual", "a", ok=False)
    assert done.returncode == 0, done.stderr
    assert _report(client, admin, pid)["a"]["attempt"] == 2
    assert next_task(client, a, pid) is not None
    done = quorum("project", "set", "qual", "--qualification-threshold", "2", ok=False)
    assert done.returncode == 2 and "qualification_threshold" in done.stderr
    done = quorum("project", "set", "qual", "--qualification-size", "none", "--flag-threshold", "3")
    assert done.returncode == 0, done.stderr
    project_out = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    assert project_out["qualification_size"] is None and project_out["flag_threshold"] == 3


def test_pages_tell_the_annotator_and_let_the_manager_reset(client: TestClient, database: Database) -> None:
    admin, a, _, pid = _setup(client, database, size=1, threshold=1.0, gold=2)
    task = next_task(client, a, pid)
    assert task is not None
    _submit(client, a, task, "neg")
    # The workspace fragment says so in place of an item.
    fragment = client.post(f"/ui/projects/{pid}/next", headers=a.headers)
    assert fragment.status_code == 200
    assert 'data-empty="true"' in fragment.text
    assert "You did not pass the qualification" in fragment.text and "0% &lt; 100%" in fragment.text
    login = client.post(
        "/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False
    )
    assert login.status_code == 303, login.text
    page = client.get(f"/projects/{pid}")
    assert page.status_code == 200
    assert 'id="qualification-table"' in page.text and "failed" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    url = f"/projects/{pid}/qualifications/a/reset"
    assert client.post(url, data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    done = client.post(url, data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert done.status_code == 303
    assert _report(client, admin, pid)["a"]["status"] == "pending"
    assert next_task(client, a, pid) is not None
    # Settings: the qualification and flag fields, with errors next to the field.
    settings_form = {"csrf_token": token.group(1), "status": "active", "overlap": "1", "lease_seconds": "900"}
    bad = client.post(
        f"/projects/{pid}/settings",
        data={**settings_form, "qualification_threshold": "1.5", "flag_threshold": "x"},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "flag_threshold" in bad.text
    bad = client.post(
        f"/projects/{pid}/settings",
        data={**settings_form, "qualification_threshold": "1.5"},
        follow_redirects=False,
    )
    assert (
        bad.status_code == 422
        and "qualification_threshold: Input should be less than or equal to 1" in bad.text
    )
    ok = client.post(
        f"/projects/{pid}/settings",
        data={
            **settings_form,
            "qualification_size": "",
            "qualification_threshold": "0.6",
            "flag_threshold": "2",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    found = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    assert found["qualification_size"] is None and found["qualification_threshold"] == 0.6
    assert found["flag_threshold"] == 2


def test_the_workspace_says_how_far_the_test_has_come(client: TestClient, database: Database) -> None:
    admin, a, _, pid = _setup(client, database, size=2, threshold=1.0, gold=3)
    for number in (1, 2):
        fragment = client.post(f"/ui/projects/{pid}/next", headers=a.headers)
        assert fragment.status_code == 200
        assert f"Qualification test: item {number} of 2" in fragment.text
        found = re.search(r'data-assignment="(\d+)"', fragment.text)
        assert found is not None
        _submit(client, a, {"id": int(found.group(1))}, "pos")
    # Passed: ordinary work, and no more test banner.
    fragment = client.post(f"/ui/projects/{pid}/next", headers=a.headers)
    assert 'data-assignment="' in fragment.text
    assert "Qualification test" not in fragment.text
    assert _report(client, admin, pid)["a"]["status"] == "passed"
