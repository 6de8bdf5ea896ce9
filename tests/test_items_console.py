"""The items list's API: search over payload text, every filter, sorts with keyset pages, the total, and
bulk actions with their audit. Run on SQLite and PostgreSQL: the same inputs find the same items."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from factories import Person, import_rows, jsonl, person, project
from quorum.config import Settings
from quorum.core.search_text import search_text
from quorum.db import Database, text_index
from quorum.items import search_jobs
from quorum.jobs.queue import build_queue
from quorum.jobs.runner import run_job
from quorum.models import AuditEvent, Item, Job, Judgment

ROWS = [
    {"external_id": "a", "payload": {"text": "The Café serves CRÈME brûlée"}, "priority": 1},
    {"external_id": "b", "payload": {"text": "café au lait, 100% arabica"}, "priority": 5},
    {"external_id": "c", "payload": {"text": "plain tea_bag"}, "priority": 3},
    # Gold (served only as gold turns, never here: gold_rate is 0).
    {"external_id": "d", "payload": {"text": "nothing to see"}, "priority": 2, "gold": {"labels": ["neg"]}},
]


def _world(client: TestClient, database: Database) -> tuple[int, Person, Person, Person]:
    boss = person(database, "boss", admin=True)
    ann = person(database, "ann")
    bob = person(database, "bob")
    pid = project(database, "console", overlap=2, members={ann: "annotator", bob: "annotator"})
    import_rows(client, boss, pid, ROWS)
    return pid, boss, ann, bob


def _judge(client: TestClient, who: Person, pid: int, answers: dict[str, str]) -> None:
    while (r := client.post(f"/api/v1/projects/{pid}/next", headers=who.headers)).status_code == 200:
        task = r.json()["assignment"]
        label = answers.get(task["item"]["external_id"])
        if label is None:
            client.post(
                f"/api/v1/assignments/{task['id']}/skip", json={"reason": "later"}, headers=who.headers
            )
            continue
        s = client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": {"labels": [label]}, "time_spent_ms": 500},
            headers=who.headers,
        )
        assert s.status_code == 201, s.text


def _find(client: TestClient, who: Person, pid: int, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/projects/{pid}/items/search", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["external_id"] for i in body["items"]]


def test_search_filters_and_sorts(client: TestClient, database: Database) -> None:
    pid, boss, ann, bob = _world(client, database)
    _judge(client, ann, pid, {"a": "pos", "b": "pos", "c": "neg"})
    _judge(client, bob, pid, {"a": "pos", "b": "neg"})

    # Search: case and accents as typed, any letters; LIKE's own characters are plain text.
    assert _ids(_find(client, boss, pid, q="CAFÉ")) == ["a", "b"]
    assert _ids(_find(client, boss, pid, q="crème")) == ["a"]
    assert _ids(_find(client, boss, pid, q="100%")) == ["b"]
    assert _ids(_find(client, boss, pid, q="t_a")) == []  # "_" is no wildcard: "tea" does not match
    assert _ids(_find(client, boss, pid, q="tea_")) == ["c"]
    assert _find(client, boss, pid, q="caf")["total"] == 2

    # Filters.
    assert _ids(_find(client, boss, pid, annotator="bob")) == ["a", "b"]
    assert _ids(_find(client, boss, pid, answer="neg")) == ["b", "c"]
    assert _ids(_find(client, boss, pid, answer="neg", annotator="ann")) == ["b", "c"]
    assert _ids(_find(client, boss, pid, gold="yes")) == ["d"]
    assert _ids(_find(client, boss, pid, gold="no")) == ["a", "b", "c"]
    assert _ids(_find(client, boss, pid, status="complete")) == ["a", "b"]
    # Confidence: "a" agreed (1.0), "b" split (0.5), "c" one vote.
    low = _find(client, boss, pid, confidence_max=0.6)
    assert _ids(low) == ["b"] and low["confidence"][str(low["items"][0]["id"])] == 0.5
    assert _ids(_find(client, boss, pid, confidence_min=0.9)) == ["a", "c"]

    # Sorts, with keyset pages that give every item once.
    assert _ids(_find(client, boss, pid, sort="-priority")) == ["b", "c", "d", "a"]
    assert _ids(_find(client, boss, pid, sort="-judgments")) == ["b", "a", "c", "d"]  # ties: newest first
    assert _ids(_find(client, boss, pid, sort="-age")) == ["d", "c", "b", "a"]
    assert _ids(_find(client, boss, pid, sort="confidence"))[:2] == ["d", "b"]
    seen: list[str] = []
    cursor = ""
    while True:
        page = _find(client, boss, pid, sort="-priority", limit=3, cursor=cursor)
        assert page["total"] == 4
        seen += _ids(page)
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert seen == ["b", "c", "d", "a"]

    # Bad input: a clear 422 naming the field.
    r = client.get(f"/api/v1/projects/{pid}/items/search", params={"sort": "size"}, headers=boss.headers)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "sort"
    r = client.get(f"/api/v1/projects/{pid}/items/search", params={"cursor": "x"}, headers=boss.headers)
    assert r.status_code == 422
    # Annotators have no items list.
    assert client.get(f"/api/v1/projects/{pid}/items/search", headers=ann.headers).status_code == 403


def _index_agrees(database: Database) -> None:
    """SQLite, with every item under the mark: the FTS index holds exactly the items as they read now
    (rank 1 compares it with its content; a stray 'delete' fails it as a malformed database)."""
    if database.engine.dialect.name != "sqlite":
        return
    with database.engine.begin() as connection:
        table = text_index.FTS_TABLE
        connection.execute(text(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"))


def _catch_up(database: Database) -> None:
    with database.sessionmaker() as db:  # as the job runs it: each chunk commits
        text_index.catch_up(db, commit=lambda _: db.commit(), chunk=3)
        if database.engine.dialect.name == "sqlite":
            assert text_index.indexed_up_to(db) == db.scalar(select(func.max(Item.id)))
        db.commit()
    assert _waiting(database) == 0


def _waiting(database: Database) -> int:
    """Items the search index does not hold yet: above SQLite's mark, pending on PostgreSQL."""
    with database.session() as db:
        if database.engine.dialect.name == "sqlite":
            after = Item.id > text_index.indexed_up_to(db)
        else:
            after = Item.search_pending.is_(True)
        return db.scalar(select(func.count()).select_from(Item).where(after)) or 0


def _mark(database: Database) -> int:
    if database.engine.dialect.name != "sqlite":
        return 0
    with database.session() as db:
        return text_index.indexed_up_to(db)


def test_the_search_index_follows_every_write(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid, boss, _, _ = _world(client, database)
    queries = ("caf", "CAF", "é", "ea", 'said "STRASSE"', "tea_bag", "crème", "fresh", "lait", "")

    def results() -> dict[str, list[str]]:
        return {q: _ids(_find(client, boss, pid, q=q)) for q in queries}

    # The import left its items out of the index (above SQLite's mark, pending on PostgreSQL: searched by
    # LIKE); catching up moves them into the index, in chunks, and nothing a search finds changes.
    assert _waiting(database) == 4
    for lookup_up_to in (0, 10_000):
        # A page of many matches walks its sort's index, of few looks each up: the same items either way.
        monkeypatch.setattr(text_index, "LOOKUP_UP_TO", lookup_up_to)
        for catch_up in (False, True):
            if catch_up:
                _catch_up(database)
            assert _ids(_find(client, boss, pid, q="CAF", sort="-priority")) == ["b", "a"]
            first = _find(client, boss, pid, q="caf", limit=1)
            assert _ids(first) == ["a"] and first["total"] == 2
            assert _ids(_find(client, boss, pid, q="caf", limit=1, cursor=first["next_cursor"])) == ["b"]
    # Under three characters no trigram index serves: the same matches, read from every row.
    assert _ids(_find(client, boss, pid, q="é")) == ["a", "b"]
    assert _ids(_find(client, boss, pid, q="ea")) == ["c"]
    _index_agrees(database)

    # Writes on both sides of the mark: a new item, rewritten payloads (one under the mark, one above: found
    # by the new text only; quotes are plain text, ß folds to ss), a deleted item under the mark.
    import_rows(client, boss, pid, [{"external_id": "e", "payload": {"text": "fresh tea"}}])
    rewritten = [
        {"external_id": "c", "payload": {"text": 'He said "Straße" twice'}, "priority": 3},
        {"external_id": "e", "payload": {"text": "fresh café crème"}},
    ]
    import_rows(client, boss, pid, rewritten)
    a_id = _find(client, boss, pid, q="brûlée")["items"][0]["id"]
    r = client.post(
        f"/api/v1/projects/{pid}/items/bulk", json={"action": "delete", "ids": [a_id]}, headers=boss.headers
    )
    assert r.status_code == 200, r.text
    seen = results()
    assert seen['said "STRASSE"'] == ["c"] and seen["tea_bag"] == []
    assert seen["caf"] == ["b", "e"] and seen["crème"] == ["e"] and seen["fresh"] == ["e"]
    _catch_up(database)
    assert results() == seen
    _index_agrees(database)

    # Deleting the largest item lets SQLite give its id again: the mark comes down below it first, so the
    # new item is searched by LIKE until it is indexed.
    e_id = _find(client, boss, pid, q="fresh")["items"][0]["id"]
    r = client.post(
        f"/api/v1/projects/{pid}/items/bulk", json={"action": "delete", "ids": [e_id]}, headers=boss.headers
    )
    assert r.status_code == 200, r.text
    import_rows(client, boss, pid, [{"external_id": "f", "payload": {"text": "fresh lait"}}])
    found = _find(client, boss, pid, q="fresh")["items"]
    assert [i["external_id"] for i in found] == ["f"]
    if database.engine.dialect.name == "sqlite":
        assert found[0]["id"] == e_id and _mark(database) < e_id
    assert _ids(_find(client, boss, pid, q="lait")) == ["b", "f"]
    _catch_up(database)
    assert _ids(_find(client, boss, pid, q="lait")) == ["b", "f"]
    _index_agrees(database)


def test_an_import_leaves_the_search_index_to_one_job(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_jobs, "INDEX_AFTER", 5)
    pid, boss, _, _ = _world(client, database)  # 4 items wait: under INDEX_AFTER, no job yet

    def jobs() -> list[Job]:
        with database.session() as db:
            return list(db.scalars(select(Job).where(Job.kind == search_jobs.KIND)))

    assert jobs() == []
    import_rows(client, boss, pid, [{"external_id": "e", "payload": {"text": "fresh café"}}])
    import_rows(client, boss, pid, [{"external_id": "f", "payload": {"text": "more café"}}])
    (pending,) = jobs()  # the second import found the first one's job pending
    assert _waiting(database) == 6
    before = _ids(_find(client, boss, pid, q="café"))
    run_job(database, pending.id)
    (done,) = jobs()
    assert (done.status, done.result) == ("succeeded", {"indexed": 6})
    assert _waiting(database) == 0
    if database.engine.dialect.name == "sqlite":
        assert _mark(database) == max(i["id"] for i in _find(client, boss, pid)["items"])
    assert _ids(_find(client, boss, pid, q="café")) == before == ["a", "b", "e", "f"]
    _index_agrees(database)


def test_bulk_actions_act_on_all_or_none_and_are_audited(client: TestClient, database: Database) -> None:
    pid, boss, ann, _ = _world(client, database)
    ids = {i["external_id"]: i["id"] for i in _find(client, boss, pid)["items"]}

    def bulk(**body: Any) -> Any:
        return client.post(f"/api/v1/projects/{pid}/items/bulk", json=body, headers=boss.headers)

    assert bulk(action="priority", ids=[ids["a"], ids["d"]], priority=9).json() == {
        "action": "priority",
        "count": 2,
    }
    assert _ids(_find(client, boss, pid, sort="-priority"))[:2] == ["d", "a"]
    # One unknown id: nothing changes.
    r = bulk(action="priority", ids=[ids["b"], 999999], priority=0)
    assert r.status_code == 404
    assert _find(client, boss, pid, q="au lait")["items"][0]["priority"] == 5
    assert bulk(action="priority", ids=[ids["b"]]).status_code == 422

    assert bulk(action="pin", ids=[ids["b"]], usernames=["ann"]).status_code == 200
    assert bulk(action="review", matching={"q": "café"}).json()["count"] == 2
    assert bulk(action="archive", ids=[ids["c"]]).status_code == 200
    assert _ids(_find(client, boss, pid, status="archived")) == ["c"]
    assert bulk(action="delete", ids=[ids["d"]]).status_code == 200
    assert _find(client, boss, pid)["total"] == 3
    # Only managers.
    r = client.post(
        f"/api/v1/projects/{pid}/items/bulk",
        json={"action": "delete", "ids": [ids["a"]]},
        headers=ann.headers,
    )
    assert r.status_code == 403

    with database.session() as db:
        actions = list(
            db.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("items.bulk.%"))
                .order_by(AuditEvent.id)
            )
        )
        assert actions == [f"items.bulk.{a}" for a in ("priority", "pin", "review", "archive", "delete")]
        flagged = set(db.scalars(select(Item.external_id).where(Item.review_requested.is_(True))))
        assert flagged == {"a", "b"}


def test_sent_to_review_items_wait_for_a_reviewer(client: TestClient, database: Database) -> None:
    pid, boss, ann, _ = _world(client, database)
    rev = person(database, "rev")
    client.put(f"/api/v1/projects/{pid}/members/rev", json={"role": "reviewer"}, headers=boss.headers)
    _judge(client, ann, pid, {"a": "pos", "b": "pos", "c": "neg", "d": "neu"})
    queue = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json()
    assert queue == []  # review_rate 0: nothing sampled
    b = _find(client, boss, pid, q="lait")["items"][0]["id"]
    client.post(
        f"/api/v1/projects/{pid}/items/bulk", json={"action": "review", "ids": [b]}, headers=boss.headers
    )
    queue = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json()
    assert [j["item_id"] for j in queue] == [b]
    # Deleting a judged item takes its judgments (and anything hanging on them) with it.
    r = client.post(
        f"/api/v1/projects/{pid}/items/bulk", json={"action": "delete", "ids": [b]}, headers=boss.headers
    )
    assert r.status_code == 200
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Judgment).where(Judgment.item_id == b)) == 0
    assert client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=rev.headers).json() == []


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_postgresql_searches_indexed_items_by_the_trigram_index_and_skips_a_locked_row(
    client: TestClient, database: Database
) -> None:
    """PostgreSQL: after the job, the search reads the GIN index (not every row); a pending item another
    transaction holds is left pending, still found, and indexed by a later run."""
    pid, boss, _, _ = _world(client, database)
    ids = {i["external_id"]: i["id"] for i in _find(client, boss, pid)["items"]}
    with database.engine.connect() as other:
        other.execute(text("SELECT id FROM items WHERE id = :id FOR UPDATE"), {"id": ids["a"]})
        with database.sessionmaker() as db:
            assert text_index.catch_up(db, commit=lambda _: db.commit(), chunk=2) == 3
            db.commit()
        assert _waiting(database) == 1
        assert _ids(_find(client, boss, pid, q="caf")) == ["a", "b"]
        other.rollback()
    with database.sessionmaker() as db:
        assert text_index.catch_up(db, commit=lambda _: db.commit()) == 1
        db.commit()
        condition = text_index.contains(db, "café", project_id=pid)
        compiled = select(Item.id).where(condition).compile(db.get_bind())
        with db.get_bind().connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))  # 4 rows: a scan would win on cost
            plan = "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    # The indexed items come from the GIN index (the pending arm's index is the planner's choice: its own
    # partial index or the project's, by the tables' statistics).
    assert f"Bitmap Index Scan on {text_index.PG_INDEX}" in plan, plan
    assert _ids(_find(client, boss, pid, q="caf")) == ["a", "b"]


def _texts(database: Database, pid: int) -> dict[str, tuple[str | None, str]]:
    """Each item's stored search text beside the one its payload reads as."""
    with database.session() as db:
        rows = db.execute(
            select(Item.external_id, Item.search_text, Item.payload).where(Item.project_id == pid)
        )
        return {e: (stored, search_text(payload)) for e, stored, payload in rows}


@pytest.mark.parametrize("search_first", [True, False], ids=["search-then-job", "job-then-search"])
def test_freshly_imported_items_are_found_before_and_after_the_search_index_job(
    client: TestClient, database: Database, search_first: bool
) -> None:
    pid, boss, _, _ = _world(client, database)
    assert all(stored == text for stored, text in _texts(database, pid).values())
    expected = {"CAFÉ": ["a", "b"], "crème": ["a"], "tea_": ["c"], "100%": ["b"], "é": ["a", "b"]}
    if search_first:
        assert {q: _ids(_find(client, boss, pid, q=q)) for q in expected} == expected
    _catch_up(database)
    assert all(stored == text for stored, text in _texts(database, pid).values())
    assert {q: _ids(_find(client, boss, pid, q=q)) for q in expected} == expected
    _index_agrees(database)


def test_every_import_path_submits_the_search_index_job(
    client: TestClient, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's import and a background one alike: the job runs (the immediate queue runs it at once),
    the items are indexed with their text, and a search finds them."""
    monkeypatch.setattr(search_jobs, "INDEX_AFTER", 1)
    build_queue(settings, database, immediate=True)
    boss = person(database, "boss", admin=True)
    pid = project(database, "paths")
    import_rows(client, boss, pid, [{"external_id": "sync", "payload": {"text": "Grüße from the request"}}])
    sent = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl([{"external_id": "bg", "payload": {"text": "GRÜSSE from a job"}}]),
        params={"format": "jsonl", "background": "true"},
        headers=boss.headers,
    )
    assert sent.status_code == 202, sent.text
    with database.session() as db:
        runs = list(db.scalars(select(Job.status).where(Job.kind == search_jobs.KIND)))
    assert runs == ["succeeded", "succeeded"]
    assert _waiting(database) == 0
    texts = _texts(database, pid)
    assert set(texts) == {"sync", "bg"} and all(stored == text for stored, text in texts.values())
    assert sorted(_ids(_find(client, boss, pid, q="grüsse"))) == ["bg", "sync"]
