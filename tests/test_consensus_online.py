"""The stored annotator model behind ``dawid_skene`` overlap: fitted by a job, never in a submit, and
refitted only after enough new judgments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from crowd_plan import CROWD, history_plan, work
from factories import import_rows, person, project, text_rows
from quorum.accounts import service as accounts
from quorum.assignments import service as loop
from quorum.config import Settings
from quorum.consensus import online
from quorum.db import Database
from quorum.jobs import service as jobs
from quorum.jobs.queue import attach, build_queue
from quorum.models import ConsensusFit, Job, Project
from quorum.task_types import registry


def _model(database: Database, pid: int) -> online.AnnotatorModel | None:
    kind = registry.get("classification")
    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        return online.model_for(
            db, found, kind, kind.parse_config(found.config), requester=found.created_by_id or 1
        )


def _history(client: TestClient, database: Database, name: str) -> tuple[int, dict[str, Any]]:
    admin = person(database, "admin", admin=True)
    people = {who: person(database, who) for who in CROWD}
    pid = project(database, name, overlap=6, members={p: "annotator" for p in people.values()})
    import_rows(client, admin, pid, text_rows(20, prefix="h"))
    work(database, pid, history_plan(20), CROWD)  # 120 judgments: the bound is max(10, 12) = 12 new ones
    return pid, people


def test_the_model_is_refitted_by_a_job_only_after_enough_new_judgments(
    client: TestClient, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_queue(settings, database, immediate=True)
    pid, people = _history(client, database, "cached")
    admin = person(database, "boss", admin=True)
    import_rows(client, admin, pid, text_rows(3, prefix="z"))
    fits: list[int] = []
    real_fit = online.fit

    def counting_fit(*args: Any, **kwargs: Any) -> Any:
        entry = real_fit(*args, **kwargs)
        fits.append(entry.n_judgments)
        return entry

    monkeypatch.setattr(online, "fit", counting_fit)

    # No stored fit: no model (the caller falls back to agreement); the refit job runs after the commit.
    assert _model(database, pid) is None and fits == [120]
    first = _model(database, pid)
    assert first is not None and fits == [120]
    assert _model(database, pid) is first and fits == [120]
    # r1 and r2 are learned as reliable, n1 as right half the time.
    assert np.exp(first.log_confusion[people["r1"].id]).diagonal().min() > 0.99
    assert 0.4 < np.exp(first.log_confusion[people["n1"].id]).diagonal().mean() < 0.6
    # 11 new judgments: still under the bound, the stored fit stays.
    work(
        database,
        pid,
        {(who, f"z{i}"): "pos" for i in range(2) for who in CROWD[:5]} | {("r1", "z2"): "pos"},
        CROWD[:5],
    )
    assert _model(database, pid) is first and fits == [120]
    # The 12th reaches it: the submit path keeps the old fit and asks for a refit over all 132.
    work(database, pid, {("n4", "z0"): "pos"}, ("n4",))
    assert _model(database, pid) is first and fits == [120, 132]
    second = _model(database, pid)
    assert second is not None and second is not first
    with database.session() as db:
        stored = db.get(ConsensusFit, pid)
        assert stored is not None and (stored.version, stored.n_judgments) == (2, 132)
        done = db.scalars(select(Job.status).where(Job.kind == online.KIND)).all()
    assert done == ["succeeded", "succeeded"]
    # Another process (an empty cache) reads the same stored fit and fits nothing.
    online.clear()
    again = _model(database, pid)
    assert again is not None and fits == [120, 132]
    assert np.allclose(again.log_confusion[people["n1"].id], second.log_confusion[people["n1"].id])


class _Held:
    """A queue that keeps ids instead of running them: jobs stay ``todo``."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def test_a_stale_fit_asks_for_one_pending_refit_per_project(client: TestClient, database: Database) -> None:
    pid, _ = _history(client, database, "pending")
    held = _Held()
    attach(database, held)
    assert _model(database, pid) is None
    online.clear()  # forget that this process asked: every new process asks again
    assert _model(database, pid) is None
    with database.session() as db:
        # Asked directly as well, while the first is still todo: nothing new.
        project_row = db.get(Project, pid)
        assert project_row is not None
        key = online.refit_key(project_row)
        assert jobs.submit_once(db, online.KIND, key, owner_id=1, project_id=pid, params={}) is None
        count = db.scalar(select(func.count()).select_from(Job).where(Job.kind == online.KIND))
    assert count == 1 and len(held.ids) == 1
    # Once it ended, the next stale submit may ask again.
    with database.session() as db:
        db.execute(Job.__table__.update().values(status="failed"))
    online.clear()
    assert _model(database, pid) is None
    assert len(held.ids) == 2


def test_without_a_queue_the_refit_runs_inline(client: TestClient, database: Database) -> None:
    pid, _ = _history(client, database, "inline")
    database.session_info.pop("job_queue", None)
    assert _model(database, pid) is not None
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0
        stored = db.get(ConsensusFit, pid)
        assert stored is not None and stored.n_judgments == 120


@pytest.mark.postgres
def test_two_processes_racing_to_ask_for_a_refit_leave_one_pending_job(pg_url: str) -> None:
    """PostgreSQL runs both writers at once: just before one session's INSERT, a rival commits its own ask.
    The partial unique index makes the loser's insert do nothing, and its unit of work still commits."""
    database = Database(pg_url)
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE users, projects RESTART IDENTITY CASCADE")
        owner = person(database, "owner", admin=True)
        pid = project(database, "race")
        attach(database, _Held())
        key = f"{online.KIND}:{pid}"
        fired: list[int | None] = []
        started: list[bool] = []

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not started and statement.startswith("INSERT INTO jobs "):
                started.append(True)
                with database.session() as rival:
                    fired.append(
                        jobs.submit_once(
                            rival, online.KIND, key, owner_id=owner.id, project_id=pid, params={}
                        )
                    )

        event.listen(Engine, "before_cursor_execute", before)
        try:
            with database.session() as db:
                lost = jobs.submit_once(db, online.KIND, key, owner_id=owner.id, project_id=pid, params={})
        finally:
            event.remove(Engine, "before_cursor_execute", before)
        assert fired and fired[0] is not None and lost is None
        with database.session() as db:
            assert db.scalars(select(Job.id).where(Job.dedupe_key == key)).all() == [fired[0]]
    finally:
        database.dispose()


def test_a_submit_that_asks_the_stored_model_sends_one_statement_more_than_agreement(
    client: TestClient, database: Database, settings: Settings
) -> None:
    """The hot path: with the fit decoded in this process, the rule reads the stored version and the
    bounded count of newer judgments in one statement, as the cached fit's staleness count did before."""
    build_queue(settings, database, immediate=True)
    pid, _ = _history(client, database, "statements")
    admin = person(database, "boss", admin=True)
    assert _model(database, pid) is None  # the refit job runs after this commit
    assert _model(database, pid) is not None
    with database.session() as db:
        db.execute(Project.__table__.update().values(overlap=2, overlap_max=3, confidence_target=0.9))
    import_rows(client, admin, pid, text_rows(2, prefix="z"))
    work(database, pid, {("r1", "z0"): "pos", ("r1", "z1"): "pos"}, ("r1",))

    def statements(rule: str, item: str) -> int:
        with database.session() as db:
            db.execute(Project.__table__.update().values(overlap_rule=rule))
        sent: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            sent.append(statement)

        with database.session() as db:
            user = accounts.get_user(db, "r2")
            got = loop.claim(db, user, pid)
            assert got is not None and got.item.external_id == item
            event.listen(Engine, "before_cursor_execute", count)
            try:
                loop.submit(db, user, got.assignment.id, {"labels": ["pos"]}, 3000)
                db.flush()
            finally:
                event.remove(Engine, "before_cursor_execute", count)
        return len(sent)

    assert statements("dawid_skene", "z0") == statements("agreement", "z1") + 1
