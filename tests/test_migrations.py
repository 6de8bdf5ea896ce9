from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

import factories
from quorum.db import Database
from quorum.db.migrate import current_revision, downgrade, head_revision, pending_changes, upgrade
from quorum.items.importer import import_rows
from quorum.models import Base, Project


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


def test_candidates_key_keeps_rows_both_ways(database: Database) -> None:
    # 0030 re-keys candidates by (item_id, position): existing rows survive it and its downgrade (which
    # numbers them again), and the foreign key still cascades and still refuses an unknown item.
    project_id = factories.project(database, task_type="pairwise")
    with database.session() as db:
        project = db.get(Project, project_id)
        if project is None:
            raise AssertionError("no project")
        import_rows(db, None, project, enumerate(factories.pairwise_rows(3), start=1))
    rows = "SELECT item_id, position, model FROM candidates ORDER BY item_id, position"
    with database.engine.connect() as conn:
        before = conn.execute(text(rows)).all()
    assert len(before) == 6
    downgrade(database.engine, "0029")
    with database.engine.connect() as conn:
        assert conn.execute(text(rows)).all() == before
        ids = conn.scalars(text("SELECT id FROM candidates ORDER BY id")).all()
    assert len(set(ids)) == 6 and None not in ids
    upgrade(database.engine)
    assert pending_changes(database.engine) == []
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
