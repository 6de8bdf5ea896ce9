"""What the project list says waits for a person: exact up to a bound, "N+" beyond it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.items import service
from quorum.models import Project, User


def _waiting(database: Database, username: str, pid: int) -> str:
    with database.session() as db:
        user = db.query(User).filter_by(username=username).one()
        return service.waiting_for(db, user, db.get(Project, pid))


def test_the_waiting_count_is_exact_below_its_bound_and_says_more_beyond(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    import_rows(client, admin, pid, text_rows(6))
    assert _waiting(database, "ann", pid) == "6"
    task = next_task(client, ann, pid)  # a leased item no longer waits for her
    assert task is not None
    assert _waiting(database, "ann", pid) == "5"
    monkeypatch.setattr(service, "WAITING_UP_TO", 5)
    assert _waiting(database, "ann", pid) == "5"  # exactly the bound: still a number
    monkeypatch.setattr(service, "WAITING_UP_TO", 4)
    assert _waiting(database, "ann", pid) == "4+"
    r = client.post("/login", data={"username": "ann", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/")
    assert page.status_code == 200 and '<td class="num">4+</td>' in page.text
