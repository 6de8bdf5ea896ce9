"""Each lease draws its assistance arms at claim, and its judgment keeps them: on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import import_rows, next_task, person, project
from quorum.db import Database
from quorum.models import Assignment, Judgment


def test_the_drawn_arms_stay_with_the_lease_and_its_judgment(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p", config={"labels": ["a", "b"]})
    rows = [{"external_id": f"i{n}", "payload": {"text": f"t{n}"}} for n in range(40)]
    import_rows(client, admin, pid, rows)
    blind = next_task(client, admin, pid)
    assert blind is not None
    r = client.patch(
        f"/api/v1/projects/{pid}",
        json={"suggestion_share": 0.5, "critique_share": 1.0},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    body = {"answer": {"labels": ["a"]}, "time_spent_ms": 1000}
    r = client.post(f"/api/v1/assignments/{blind['id']}/submit", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    ids = [blind["id"]]
    for _ in range(30):
        task = next_task(client, admin, pid)
        assert task is not None
        ids.append(task["id"])
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=admin.headers)
        assert r.status_code == 201, r.text
    with database.session() as db:
        arms = dict(
            db.execute(select(Assignment.id, Assignment.assistance).where(Assignment.id.in_(ids))).all()
        )
        kept = dict(db.execute(select(Judgment.assignment_id, Judgment.assistance)).all())
    # The lease taken before the shares were set offered nothing, and says so by having no arms.
    assert arms[blind["id"]] is None and kept[blind["id"]] is None
    later = [arms[i] for i in ids[1:]]
    assert all(a is not None and a["critique"] == "shown" and a["probe"] is False for a in later)
    shown = sum(a["suggestion"] == "shown" for a in later if a)
    assert 0 < shown < len(later)
    assert all(kept[i] == arms[i] for i in ids)


def test_the_assistance_report_has_every_kind_and_is_for_managers(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    worker = person(database, "worker")
    pid = project(database, "p", task_type="pairwise", members={worker: "annotator"})
    r = client.get(f"/api/v1/projects/{pid}/assistance", headers=admin.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert set(report) == {"suggestions", "critiques", "judges"}
    assert set(report["suggestions"]["anchoring_effect"]) == {"value", "low", "high"}
    assert client.get(f"/api/v1/projects/{pid}/assistance", headers=worker.headers).status_code == 403
