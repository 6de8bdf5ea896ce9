"""``next`` and ``submit`` check the API token inside their first statement: every token a separate
check refuses is refused there too, with the same status, message and order of errors, and the pair
sends no statement of its own for the check."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from factories import Person, import_rows, person, project, text_rows
from quorum.accounts.service import BearerToken
from quorum.assignments import service
from quorum.assignments.queue import _candidate_query
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import ApiToken, Assignment, User

ANSWER = {"answer": {"labels": ["pos"]}, "time_spent_ms": 900}


@pytest.fixture
def world(client: TestClient, database: Database) -> dict[str, object]:
    people = {name: person(database, name, admin=name == "admin") for name in ("admin", "ann", "other")}
    pid = project(database, "tokens", members={people["ann"]: "annotator", people["other"]: "annotator"})
    import_rows(client, people["admin"], pid, text_rows(4))
    return {"people": people, "pid": pid}


def _next(client: TestClient, who: Person | dict[str, str], ref: object) -> object:
    headers = who.headers if isinstance(who, Person) else who
    return client.post(f"/api/v1/projects/{ref}/next", headers=headers)


def _submit(client: TestClient, headers: dict[str, str], aid: int, key: str | None = None) -> object:
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/assignments/{aid}/submit", json=ANSWER, headers={**headers, **extra})


def _refused(response: object, message: str) -> None:
    assert response.status_code == 401, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert (error["code"], error["message"]) == ("not_authenticated", message)


def _set_token(database: Database, person_: Person, **values: object) -> None:
    with database.session() as db:
        db.execute(update(ApiToken).where(ApiToken.user_id == person_.id).values(**values))


def test_a_bad_token_is_refused_before_the_project_or_assignment_is_looked_up(
    client: TestClient, world: dict
) -> None:
    forged = {"Authorization": "Bearer qrm_forged"}
    people, pid = world["people"], world["pid"]
    for ref in (pid, 987654, "tokens", "no-such-project"):
        _refused(_next(client, forged, ref), "invalid or revoked API token")
    aid = _next(client, people["ann"], pid).json()["assignment"]["id"]
    for target in (aid, 987654):
        _refused(_submit(client, forged, target), "invalid or revoked API token")
        _refused(_submit(client, forged, target, key="k"), "invalid or revoked API token")
    # A good token: the missing project or assignment is a 404, someone else's lease a 403.
    assert _next(client, people["ann"], 987654).status_code == 404
    assert _submit(client, people["ann"].headers, 987654).status_code == 404
    assert _submit(client, people["other"].headers, aid).status_code == 403
    assert _submit(client, people["ann"].headers, aid, key="first").status_code == 201


def test_a_project_named_by_digits_is_found_after_the_ids(
    client: TestClient, world: dict, database: Database
) -> None:
    people = world["people"]
    named = project(database, "424242", members={people["ann"]: "annotator"})
    import_rows(client, people["admin"], named, text_rows(1))
    r = _next(client, people["ann"], "424242")
    assert r.status_code == 200, r.text
    assert r.json()["assignment"]["item"]["id"] is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("revoke", "invalid or revoked API token"),
        ("expire", "this API token has expired; create a new one"),
        ("deactivate", "this account is deactivated"),
    ],
)
def test_a_refused_token_is_refused_by_next_and_by_submit(
    client: TestClient, world: dict, database: Database, change: str, message: str
) -> None:
    people, pid = world["people"], world["pid"]
    ann = people["ann"]
    aid = _next(client, ann, pid).json()["assignment"]["id"]
    if change == "revoke":
        _set_token(database, ann, revoked_at=utcnow())
    elif change == "expire":
        _set_token(database, ann, expires_at=utcnow() - timedelta(seconds=1))
    else:
        with database.session() as db:
            db.execute(update(User).where(User.id == ann.id).values(is_active=False))
    _refused(_next(client, ann, pid), message)
    _refused(_submit(client, ann.headers, aid), message)
    _refused(_submit(client, ann.headers, aid, key="k"), message)
    # Nothing was written for the refused submits: the lease is still open.
    with database.session() as db:
        assert db.scalar(select(Assignment.status).where(Assignment.id == aid)) == "leased"


def test_the_loop_notes_a_tokens_use(client: TestClient, world: dict, database: Database) -> None:
    people, pid = world["people"], world["pid"]
    ann = people["ann"]
    _set_token(database, ann, last_used_at=None)
    aid = _next(client, ann, pid).json()["assignment"]["id"]
    with database.session() as db:
        used = db.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == ann.id))
    assert used is not None
    _set_token(database, ann, last_used_at=utcnow() - timedelta(minutes=5))
    assert _submit(client, ann.headers, aid).status_code == 201
    with database.session() as db:
        again = db.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == ann.id))
    assert again is not None and again > used - timedelta(seconds=1)


def test_the_token_check_costs_the_pair_no_statement(
    client: TestClient, world: dict, database: Database
) -> None:
    """A bearer token's check rides in ``next``'s project read and ``submit``'s assignment read."""
    people, pid = world["people"], world["pid"]
    ann = people["ann"]
    aid = _next(client, ann, pid).json()["assignment"]["id"]
    assert _submit(client, ann.headers, aid).status_code == 201
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        aid = _next(client, ann, pid).json()["assignment"]["id"]
        per_next = [s for s in sent if "api_tokens" in s]
        n_next = len(sent)
        sent.clear()
        assert _submit(client, ann.headers, aid, key="counted").status_code == 201
        per_submit = [s for s in sent if "api_tokens" in s]
        n_submit = len(sent)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    # One statement each reads the token, and it is the one that reads the project or the assignment.
    assert len(per_next) == 1 and "projects" in per_next[0]
    assert len(per_submit) == 1 and "assignments" in per_submit[0]
    # next: the project with the token, the candidate, the lease; submit: the assignment with the token,
    # then its writes (one statement on PostgreSQL, four on SQLite). SQLite's BEGIN IMMEDIATE is sent too;
    # PostgreSQL's generic plans are set first by a statement of their own, so that the token's read
    # runs on its cached plan too.
    sqlite = database.dialect == "sqlite"
    assert (n_next, n_submit) == ((4, 6) if sqlite else (4, 3))


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_loop_runs_on_generic_plans_for_its_unit_of_work_only(world: dict, database: Database) -> None:
    """The engine forces custom plans (an import's lookups need them); next and submit set generic
    plans for their own unit of work, through a bearer token's first statement or on their own."""
    people, pid = world["people"], world["pid"]
    ann = people["ann"]

    def mode(db: Session) -> str:
        return str(db.execute(text("SHOW plan_cache_mode")).scalar())

    with database.session() as db:
        assert mode(db) == "force_custom_plan"
        claimed = service.claim(db, BearerToken(ann.token), pid)
        assert claimed is not None
        aid = claimed.assignment.id
        assert mode(db) == "auto"
    with database.session() as db:
        assert mode(db) == "force_custom_plan"
        service.submit(db, BearerToken(ann.token), aid, {"labels": ["pos"]}, 900)
        assert mode(db) == "auto"
    with database.session() as db:
        user = db.get(User, ann.id)
        assert user is not None
        service.claim(db, user, pid)
        assert mode(db) == "auto"
    with database.session() as db:
        assert mode(db) == "force_custom_plan"


def test_the_claims_scan_has_a_literal_limit() -> None:
    """Under a bound LIMIT PostgreSQL's generic plan for the scan looked too dear to choose (it assumes
    many rows), so every claim planned the scan afresh; a literal LIMIT lets it run on its cached plan."""
    for gold in (False, True):
        query = _candidate_query(gold=gold, excluding=False, lock=True, claim_lock=True)
        sql = str(query.compile(dialect=postgresql.dialect()))
        assert re.search(r"\bLIMIT 1\b", sql), sql[-200:]


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_token_read_itself_runs_on_its_generic_plan(world: dict, database: Database) -> None:
    """Generic plans set by a column of the first statement came too late for that statement's own
    plan: the token's read was planned afresh on every call (PostgreSQL's largest cost of the loop)."""
    ann = world["people"]["ann"]
    with database.engine.connect() as conn:
        db = Session(bind=conn)
        # psycopg prepares after five runs; PostgreSQL weighs a generic plan after five more.
        for _ in range(14):
            service.claim(db, BearerToken(ann.token), world["pid"])
            db.commit()
        plans = db.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%api_tokens%' AND statement LIKE '%memberships%'"
            )
        ).all()
        db.close()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert generic >= 1 and custom <= 6
