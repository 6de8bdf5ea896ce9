"""A uniqueness race lost to a concurrent writer, past the service's own check: the CLI says so and exits
2, the API answers 409, both without a traceback. Only PostgreSQL runs writers concurrently (SQLite's
``BEGIN IMMEDIATE`` makes the check and the insert one writer's), so the race is staged there: just before
the command's INSERT, another connection commits the same row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from typer.testing import CliRunner

from factories import person
from quorum.cli import app
from quorum.config import Settings
from quorum.db import Database
from quorum.models import Project, User
from quorum.projects import service as projects
from quorum.web.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(pg_url: str) -> Iterator[Database]:
    db = Database(pg_url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE users, projects RESTART IDENTITY CASCADE")
    yield db
    db.dispose()


@contextmanager
def _race(rival: Database, table: str, write: Any) -> Iterator[None]:
    """Before the first ``INSERT INTO <table>`` of any engine, ``write(session)`` commits on ``rival``."""
    fired: list[bool] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not fired and statement.startswith(f"INSERT INTO {table} "):
            fired.append(True)
            with rival.session() as db:
                write(db)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    assert fired, f"nothing was inserted into {table}"


def _count(database: Database, model: Any, **where: Any) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def test_the_cli_reports_a_lost_race_as_a_conflict_and_exits_2(database: Database, tmp_path: Path) -> None:
    env = {"QUORUM_DATABASE_URL": database.url, "QUORUM_DATA_DIR": str(tmp_path)}
    with _race(database, "users", lambda db: db.add(User(username="bob"))):
        result = CliRunner().invoke(app, ["user", "create", "bob"], env=env)
    assert result.exit_code == 2, result.output
    assert "a concurrent change conflicted with this one; retry it" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert _count(database, User, username="bob") == 1


def test_the_api_answers_a_lost_race_with_409(database: Database, tmp_path: Path) -> None:
    boss = person(database, "boss", admin=True)
    settings = Settings(data_dir=tmp_path, database_url=database.url)

    def rival(db: Any) -> None:
        projects.create_project(
            db, None, name="Taken", task_type="classification", config={"labels": ["a", "b"]}
        )

    with TestClient(create_app(settings, database)) as client, _race(database, "projects", rival):
        response = client.post(
            "/api/v1/projects",
            headers=boss.headers,
            json={"name": "Taken", "task_type": "classification", "config": {"labels": ["a", "b"]}},
        )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert _count(database, Project, name="Taken") == 1
