from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

import factories
from quorum.db import Database
from quorum.db.migrate import current_revision, downgrade, head_revision, pending_changes, upgrade
from quorum.items.importer import import_rows
from quorum.models import Base, Item, Project


def test_models_and_migrations_agree(database: Database) -> None:
    # The same check as `alembic check`: autogenerate finds nothing to add.
    assert pending_changes(database.engine) == []
    assert current_revision(database.engine) == head_revision()


def test_downgrade_to_empty_and_back(database: Database) -> None:
    downgrade(database.engine, "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(database.engine)
    tables = set(inspect(database.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert pending_changes(database.engine) == []


def _import_pairwise(database: Database, n: int) -> None:
    project_id = factories.project(database, task_type="pairwise")
    with database.session() as db:
        project = db.get(Project, project_id)
        if project is None:
            raise AssertionError("no project")
        import_rows(db, None, project, enumerate(factories.pairwise_rows(n), start=1))


def _provenance(database: Database) -> list[tuple[int, list[dict[str, object]]]]:
    with database.session() as db:
        return [(i, p) for i, p in db.execute(select(Item.id, Item.candidate_provenance).order_by(Item.id))]


def test_candidate_provenance_moves_into_items_and_back(database: Database) -> None:
    # 0031 moves the candidates' rows into items.candidate_provenance: what an import wrote survives the
    # downgrade to the table (one row per candidate, in position order) and the upgrade back.
    _import_pairwise(database, 3)
    before = _provenance(database)
    assert [[c["model"] for c in p] for _, p in before] == [["big", "small"]] * 3
    downgrade(database.engine, "0030")
    with database.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT item_id, position, model, provider, params FROM candidates ORDER BY item_id, position"
            )
        ).all()
    restored = [
        (item_id, position, model, provider, json.loads(params) if isinstance(params, str) else params)
        for item_id, position, model, provider, params in rows
    ]
    assert restored == [
        (item_id, c["position"], c["model"], c["provider"], c["params"]) for item_id, p in before for c in p
    ]
    upgrade(database.engine)
    assert pending_changes(database.engine) == []
    assert _provenance(database) == before


def test_candidates_key_keeps_rows_both_ways(database: Database) -> None:
    # 0030 re-keys candidates by (item_id, position): existing rows survive it and its downgrade (which
    # numbers them again), and the foreign key still cascades and still refuses an unknown item.
    _import_pairwise(database, 3)
    downgrade(database.engine, "0030")
    rows = "SELECT item_id, position, model FROM candidates ORDER BY item_id, position"
    with database.engine.connect() as conn:
        before = conn.execute(text(rows)).all()
    assert len(before) == 6
    downgrade(database.engine, "0029")
    with database.engine.connect() as conn:
        assert conn.execute(text(rows)).all() == before
        ids = conn.scalars(text("SELECT id FROM candidates ORDER BY id")).all()
    assert len(set(ids)) == 6 and None not in ids
    upgrade(database.engine, "0030")
    with database.engine.connect() as conn:
        assert conn.execute(text(rows)).all() == before
    first = before[0][0]
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO candidates (item_id, position, params, created_at)"
                " VALUES (:item, 0, '{}', CURRENT_TIMESTAMP)"
            ),
            {"item": first},
        )
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO candidates (item_id, position, params, created_at)"
                " VALUES (-1, 0, '{}', CURRENT_TIMESTAMP)"
            )
        )
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM items WHERE id = :item"), {"item": first})
    with database.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text(rows))].count(first) == 0
        assert len(conn.execute(text(rows)).all()) == 4
    upgrade(database.engine)
    assert pending_changes(database.engine) == []
