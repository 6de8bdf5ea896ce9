"""The export reads its next page on a worker thread while it writes the current one: the rows are those of
one page at a time, and an export left mid-way gives the session back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from factories import import_rows, person, project, text_rows
from quorum.db import Database
from quorum.exports import pages, service
from quorum.models import Item, Project


def test_pages_read_ahead_give_the_rows_of_one_page_at_a_time(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    import_rows(client, admin, pid, text_rows(7))
    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        whole = list(service.lines(db, found, "jsonl"))
    monkeypatch.setattr(pages, "BATCH", 2)
    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        assert list(service.lines(db, found, "jsonl")) == whole
        assert len(whole) == 7
        # Left after its first line, while the next page is being read: the session is the caller's again.
        lines = service.lines(db, found, "jsonl")
        assert next(lines) == whole[0]
        lines.close()
        assert db.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 7
