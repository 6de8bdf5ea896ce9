from __future__ import annotations

from sqlalchemy import inspect

from quorum.db import Database
from quorum.db.migrate import current_revision, downgrade, head_revision, pending_changes, upgrade
from quorum.models import Base


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
