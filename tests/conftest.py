"""Test fixtures: every storage- and service-level test runs on SQLite and on PostgreSQL.

PostgreSQL: one database (``quorum_test_<pid>``) migrated once per test process (each pytest-xdist worker is
one); each test starts from empty tables.
SQLite: a migrated template file copied per test. Outside CI an unreachable PostgreSQL skips its half with
a visible reason; under CI (``CI=true``) it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg
import pytest
import typer.testing
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text

from ci import skip_or_fail
from quorum.accounts import secrets
from quorum.config import Settings
from quorum.db import Database, migrate
from quorum.db.migrate import upgrade
from quorum.models import Base
from quorum.web.app import create_app
from slow_first import slow_first, workers

PG_ADMIN_URL = os.environ.get("QUORUM_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# One database per test process, so runs side by side (a developer's and a helper's) and the pytest-xdist
# workers of one run never share tables; a name given in the environment gets the worker's id appended.
PG_DB = os.environ.get("QUORUM_TEST_PG_DB", f"quorum_test_{os.getpid()}") + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}"
    if "QUORUM_TEST_PG_DB" in os.environ and "PYTEST_XDIST_WORKER" in os.environ
    else ""
)


# argon2 at the lowest cost it accepts: the production cost (64 MiB, 3 passes, ~0.1 s a hash) paid for each
# test user was a third of the suite's time. A hash carries its own parameters, so the server processes the
# browser and live-server tests start verify these at the same low cost; right and wrong passwords, salts and
# the hash format behave as in production. A test that measures what a check costs marks itself
# ``real_password_cost``.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = slow_first(items, workers())


def _tree(app: typer.Typer) -> tuple[object, ...]:
    """What the click command built from ``app`` depends on: its commands and groups, nested."""
    groups = tuple(_tree(g.typer_instance) for g in app.registered_groups if g.typer_instance is not None)
    return (id(app), tuple(id(c.callback) for c in app.registered_commands), groups)


@cache
def _command_for(tree: tuple[object, ...], app: typer.Typer) -> object:
    return _typer_command(app)


_typer_command = typer.testing._get_command


@pytest.fixture(autouse=True, scope="session")
def _cli_costs() -> Iterator[None]:
    """An in-process ``quorum`` call (Typer's CliRunner) rebuilt the whole click command tree from the Typer
    app and re-read the Alembic scripts for the head revision: three quarters of a call. Both are fixed for
    the process, so they are built once (the tree again if a command is added); each call still parses its
    arguments, reads its settings and checks the database's revision against the head."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda app: _command_for(_tree(app), app))
        patch.setattr(migrate, "head_revision", cache(migrate.head_revision))
        yield


@pytest.fixture(autouse=True)
def _password_cost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(secrets, "_hasher", FAST_HASHER)
    # The unknown-account hash is made on first use: each test makes its own, at its own cost.
    secrets._dummy_hash.cache_clear()
    yield
    secrets._dummy_hash.cache_clear()


def _pg_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
            if exists:
                conn.execute(f'DROP DATABASE "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
            # A commit need not wait for its WAL to reach the disk: only a crash of the PostgreSQL server
            # itself could lose one, and no test crashes it. Isolation, locks and constraints are unchanged.
            conn.execute(f'ALTER DATABASE "{PG_DB}" SET synchronous_commit = off')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}"
        skip_or_fail(message)
    database = Database(_pg_url())
    upgrade(database.engine)
    database.dispose()
    yield _pg_url()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "quorum.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()
    return path


def _empty(database: Database) -> None:
    """Empties every table and restarts every sequence, as ``TRUNCATE ... RESTART IDENTITY`` would: DELETE
    on tables of a few rows takes milliseconds where TRUNCATE took 0.4 s (it replaces each table's files)."""
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):  # children before their parents
            conn.execute(table.delete())
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
                " FROM pg_sequences WHERE schemaname = current_schema()"
            )
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "quorum.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
        _empty(db)
    yield db
    db.dispose()


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database.url, max_body_bytes=256 * 1024)


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as c:
        yield c
