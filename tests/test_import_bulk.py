"""The bulk import path (COPY on PostgreSQL, executemany on SQLite, orjson with a checked fast path)
keeps every guarantee of the row-by-row one, across batch boundaries, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from factories import import_rows, jsonl, pairwise_rows, person, project
from quorum.config import Settings
from quorum.db import Database, bulk
from quorum.errors import Conflict, Invalid
from quorum.items import importer, payloads
from quorum.items.payloads import ItemRow, NewItems, write_items
from quorum.items.readers import _checked, read_rows
from quorum.jobs.queue import build_queue
from quorum.models import Candidate, Item, Project
from quorum.models.item import GOLD_SQL
from quorum.task_types import registry


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH", 5)


def _counts(database: Database, pid: int) -> tuple[int, int]:
    with database.session() as db:
        items = db.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid))
        candidates = db.scalar(
            select(func.count()).select_from(Candidate).join(Item).where(Item.project_id == pid)
        )
    return int(items or 0), int(candidates or 0)


def test_rows_across_batches_are_written_with_their_candidates_and_reimport_is_idempotent(
    client: TestClient, database: Database, small_batches: None
) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "pw", task_type="pairwise")
    rows = pairwise_rows(23)
    assert import_rows(client, admin, pid, rows) == {"total": 23, "created": 23, "updated": 0, "unchanged": 0}
    assert _counts(database, pid) == (23, 46)
    with database.session() as db:
        item = db.scalars(select(Item).where(Item.project_id == pid, Item.external_id == "p17")).one()
        stored = rows[17]["payload"]
        assert item.payload == {
            **stored,
            "candidates": [stored["candidates"][0], {**stored["candidates"][1], "params": {}}],
        }
        assert (item.status, item.judgment_count, item.gold, item.meta) == ("open", 0, None, {})
        assert item.created_at.tzinfo is not None
        provenance = db.execute(
            select(Candidate.position, Candidate.model, Candidate.params)
            .where(Candidate.item_id == item.id)
            .order_by(Candidate.position)
        ).all()
        assert [tuple(p) for p in provenance] == [(0, "big", {"temperature": 0.2}), (1, "small", {})]
        # No gold was given: stored as the JSON null the gold predicate skips, as the ORM stores it.
        assert db.scalar(text(f"SELECT count(*) FROM items WHERE project_id = {pid} AND {GOLD_SQL}")) == 0
    assert import_rows(client, admin, pid, rows) == {"total": 23, "created": 0, "updated": 0, "unchanged": 23}
    rows[12]["payload"]["candidates"][1]["model"] = "medium"
    report = import_rows(client, admin, pid, [*rows, *pairwise_rows(30)[23:]])
    assert report == {"total": 30, "created": 7, "updated": 1, "unchanged": 22}
    assert _counts(database, pid) == (30, 60)
    with database.session() as db:
        models = db.scalars(
            select(Candidate.model).join(Item).where(Item.external_id == "p12").order_by(Candidate.position)
        ).all()
    assert list(models) == ["big", "medium"]


def test_a_bad_row_after_batches_were_written_leaves_nothing(
    client: TestClient, database: Database, small_batches: None
) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "pw", task_type="pairwise")
    rows = pairwise_rows(23)
    rows[18]["payload"]["candidates"] = rows[18]["payload"]["candidates"][:1]  # file row 19
    rows[21]["priority"] = "high"  # file row 22
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl"},
        headers=admin.headers,
    )
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    assert [(d["row"], d["field"]) for d in details] == [(19, "payload.candidates"), (22, "priority")]
    assert _counts(database, pid) == (0, 0)


def test_a_duplicate_external_id_in_a_later_batch_is_refused(
    client: TestClient, database: Database, small_batches: None
) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "pw", task_type="pairwise")
    rows = pairwise_rows(12)
    rows[11]["external_id"] = "p2"
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert [(d["row"], d["field"]) for d in r.json()["error"]["details"]] == [(12, "external_id")]
    assert _counts(database, pid) == (0, 0)


def test_large_integers_and_non_ascii_text_are_stored_exactly(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    big = 123456789012345678901234567890
    rows = [
        {
            "external_id": "a",
            "payload": {"text": "naïve — 日本語 😀"},
            "metadata": {"n": big, "m": -(2**63) - 1},
        }
    ]
    import_rows(client, admin, pid, rows)
    with database.session() as db:
        item = db.scalars(select(Item).where(Item.project_id == pid)).one()
    assert item.payload == rows[0]["payload"]
    assert item.meta == {"n": big, "m": -(2**63) - 1}
    assert isinstance(item.meta["n"], int)
    assert import_rows(client, admin, pid, rows)["unchanged"] == 1


# Lines where orjson and json differ, or where the skipped checks would have found something: the fast
# path must give exactly what json and the full checks give.
LINES = [
    b'{"payload": {"text": "plain"}}\n',
    b'{"payload": {"text": "a\\u0000b"}}\n',
    b'{"payload": {"te\\u0000xt": "x"}}\n',
    b'{"payload": {"text": "x", "n": NaN}}\n',
    b'{"payload": {"text": "x", "n": 1e400}}\n',
    b'{"payload": {"text": "x", "n": -Infinity}}\n',
    b'{"payload": {"text": "x", "n": 18446744073709551616}}\n',
    b'{"payload": {"text": "x", "n": 1234567890123456789}}\n',
    b'{"payload": {"text": "\\ud800"}}\n',
    b'{"payload": {"text": "' + b"y" * 300 + b'"}}\n',
    b'{"payload": {"text": "\\\\u0000"}}\n',
    b'{"payload": ' + b'{"a": ' * 70 + b"1" + b"}" * 70 + b"}\n",
    b'{"payload": ' + b"[" * 63 + b"]" * 63 + b"}\n",
    b'{"a": 1, "a": 2}\n',
    b"[1, 2]\n",
    b'{"payload": "\xff"}\n',
    b'{"payload": {"text": "x"}, }\n',
    b'\xef\xbb\xbf{"payload": {"text": "a BOM in the middle of the file"}}\n',
]


def test_the_fast_path_reads_and_refuses_exactly_as_the_full_checks(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(LINES))
    got = list(read_rows(path, "jsonl", max_field_bytes=200))
    expected = []
    for number, line in enumerate(LINES, start=1):
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            expected.append((number, "error"))
            continue
        expected.append((number, _checked(value, 200) if isinstance(value, dict) else "error"))
    assert len(got) == len(expected)
    for (number, row), (expected_number, want) in zip(got, expected, strict=True):
        assert number == expected_number
        if want == "error":
            assert not isinstance(row, dict), (number, row)
        else:
            assert row == want, number
            assert type(row) is type(want)
            if isinstance(row, dict):
                assert json.dumps(row) == json.dumps(want)  # same types inside (an int stays an int)


def test_a_duplicate_written_in_bulk_is_a_conflict(database: Database) -> None:
    """The race a concurrent import can lose past the importer's own check: a 409, as through the ORM."""
    pid = project(database, "p")
    row = {
        "project_id": pid,
        "external_id": "x",
        "payload": {},
        "metadata": {},
        "gold": None,
        "priority": 0.0,
    }
    with database.session() as db:
        bulk.insert_rows(db, Item, [row])
    with pytest.raises(Conflict), database.session() as db:
        bulk.insert_rows(db, Item, [row])
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 1


def test_a_project_with_no_items_gets_every_row_new_whatever_other_projects_hold(
    client: TestClient, database: Database, small_batches: None
) -> None:
    admin = person(database, "admin", admin=True)
    first, second = (
        project(database, "one", task_type="pairwise"),
        project(database, "two", task_type="pairwise"),
    )
    rows = pairwise_rows(12)
    assert import_rows(client, admin, first, rows)["created"] == 12
    # The same external ids in another project: the second, empty, project skips the lookup of existing
    # items and still creates every row; a re-import there then looks them up and changes nothing.
    assert import_rows(client, admin, second, rows) == {
        "total": 12,
        "created": 12,
        "updated": 0,
        "unchanged": 0,
    }
    assert import_rows(client, admin, second, rows) == {
        "total": 12,
        "created": 0,
        "updated": 0,
        "unchanged": 12,
    }
    assert _counts(database, first) == _counts(database, second) == (12, 24)


def test_a_large_import_leaves_statistics_that_count_its_rows(
    client: TestClient, database: Database, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 20)
    admin = person(database, "admin", admin=True)
    pid = project(database, "pw", task_type="pairwise")
    assert import_rows(client, admin, pid, pairwise_rows(23))["created"] == 23
    if database.engine.dialect.name != "postgresql":
        return  # SQLite plans without statistics; bulk.analyze leaves it alone
    with database.session() as db:
        # Analyzed inside the import's transaction: counted before autovacuum could see the rows.
        tuples = dict(
            db.execute(
                text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('items', 'candidates')")
            ).all()
        )
        analyzed = set(
            db.scalars(
                text(
                    "SELECT attname FROM pg_stats WHERE tablename = 'items'"
                    " AND attname IN ('project_id', 'external_id')"
                )
            )
        )
    assert tuples == {"items": 23, "candidates": 46}
    # external_id's: without them a re-import's lookup of a batch's ids was planned as a scan of the table.
    assert analyzed == {"project_id", "external_id"}


def test_a_background_import_refused_mid_stream_fails_its_job_and_writes_nothing(
    client: TestClient, database: Database, settings: Settings, small_batches: None
) -> None:
    """Into an empty project the items go through one open ``COPY`` on PostgreSQL: a bad row after several
    batches ends it without breaking the transaction, in which the job then records its refusal."""
    build_queue(settings, database, immediate=True)
    manager = person(database, "boss")
    pid = project(database, members={manager: "manager"}, task_type="pairwise")
    rows = pairwise_rows(23)
    rows[21]["priority"] = "high"  # file row 22, after blocks of 5, 10 and (part of) 20 ids
    sent = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl", "background": "true"},
        headers=manager.headers,
    )
    assert sent.status_code == 202, sent.text
    job = client.get(f"/api/v1/jobs/{sent.json()['id']}", headers=manager.headers).json()
    assert job["status"] == "failed"
    assert [(d["row"], d["field"]) for d in job["result"]["error"]["details"]] == [(22, "priority")]
    assert _counts(database, pid) == (0, 0)
    assert import_rows(client, person(database, "admin", admin=True), pid, pairwise_rows(23))["created"] == 23
    assert _counts(database, pid) == (23, 46)


def test_new_items_written_batch_after_batch_lose_a_race_as_a_conflict(
    database: Database, small_batches: None
) -> None:
    """An item another import committed after this one found the project empty: its external id breaks
    the unique index inside the stream, a 409 as through the ORM, and nothing of this import stays."""
    pid = project(database, "pw", task_type="pairwise")
    kind = registry.get("pairwise")
    config = kind.parse_config({})

    def item_row(n: int, raw: dict[str, Any]) -> ItemRow:
        row = importer._validate(kind, config, n, raw)
        assert isinstance(row, ItemRow)
        return row

    rows = [item_row(n, raw) for n, raw in enumerate(pairwise_rows(12), start=1)]
    with database.session() as other:  # the concurrent import, committed first
        write_items(other, other.get_one(Project, pid), rows[7:8], [])

    def stream() -> None:
        with database.session() as db:
            new_items = NewItems(db, db.get_one(Project, pid))
            new_items.add(rows[:5])
            new_items.add(rows[5:10])
            new_items.close()

    with pytest.raises(Conflict):
        stream()
    assert _counts(database, pid) == (1, 2)


def test_a_file_refused_mid_stream_inside_a_savepoint_leaves_the_session_usable(
    database: Database, tmp_path: Path, small_batches: None
) -> None:
    """The upload page imports in a savepoint and renders the refusal: the open ``COPY`` must be over and
    the transaction whole when ``Invalid`` comes out, so the rollback to the savepoint and what follows
    work."""
    pid = project(database, "pw", task_type="pairwise")
    rows = pairwise_rows(23)
    rows[21]["priority"] = "high"
    path = tmp_path / "items.jsonl"
    path.write_bytes(jsonl(rows))
    with database.session() as db:
        target = db.get_one(Project, pid)
        with pytest.raises(Invalid), db.begin_nested():
            importer.import_file(db, None, target, path)
        assert db.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 0
        target.name = "still usable"
    with database.session() as db:
        assert db.get_one(Project, pid).name == "still usable"


def test_an_unexpected_failure_mid_stream_aborts_the_copy_and_rolls_everything_back(
    database: Database, tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = project(database, "pw", task_type="pairwise")
    path = tmp_path / "items.jsonl"
    path.write_bytes(jsonl(pairwise_rows(23)))
    real = payloads.search_text

    def failing(payload: Any) -> str:
        if "question 17?" in str(payload):
            raise RuntimeError("disk on fire")
        return real(payload)

    monkeypatch.setattr(payloads, "search_text", failing)

    def run() -> None:
        with database.session() as db:
            importer.import_file(db, None, db.get_one(Project, pid), path)

    with pytest.raises(RuntimeError, match="disk on fire"):
        run()
    assert _counts(database, pid) == (0, 0)
    monkeypatch.setattr(payloads, "search_text", real)
    run()  # the connection went back to the pool whole
    assert _counts(database, pid) == (23, 46)
