"""What every command shares: settings, a unit of work, and errors printed on stderr with exit code 2."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from quorum.config import Settings
from quorum.db import Database, migrate
from quorum.errors import QuorumError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")
MAX_SHOWN = 20


def settings() -> Settings:
    return Settings()


def database(*, create: bool = False) -> Database:
    """The configured database. Unless ``create`` (``db upgrade``, ``demo``), the default SQLite file must
    already exist: run outside a project folder, a command says where it looked instead of leaving an
    empty database behind and failing on a missing table."""
    config = settings()
    if not create and not config.database_url:
        path = config.data_dir / "quorum.db"
        if not path.is_file():
            raise fail(
                f"no database at {path.resolve()} (QUORUM_DATA_DIR is {str(config.data_dir)!r}, read from "
                f"{Path.cwd()}): run this command in the folder where you ran `quorum demo` or "
                "`quorum db upgrade`, set QUORUM_DATA_DIR to that folder's quorum-data, or set "
                "QUORUM_DATABASE_URL (e.g. postgresql+psycopg://user@host/quorum)"
            )
    return Database(config.resolved_database_url())


def require_migrated(db: Database) -> None:
    """Refuse a database the code cannot use, naming it and the command that fixes it."""
    current, head = migrate.current_revision(db.engine), migrate.head_revision()
    if current != head:
        raise fail(
            f"the database at {db.engine.url.render_as_string(hide_password=True)} is at revision "
            f"{current or 'empty'}, the code needs {head}: run `quorum db upgrade` first"
        )


@contextmanager
def unit_of_work() -> Iterator[Session]:
    db = database()
    try:
        require_migrated(db)
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def fail(message: str, details: Any = None) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    print_details(details)
    return typer.Exit(2)


def print_details(details: Any) -> None:
    """An error's ``details`` (``{row, field, msg}`` or ``{field, msg}`` each), one line each, on stderr."""
    if isinstance(details, list):
        for detail in details[:MAX_SHOWN]:
            if isinstance(detail, dict):
                where = f"row {detail['row']}: " if "row" in detail else ""
                field = detail.get("field") or ""
                err.print(f"  {where}{field + ': ' if field else ''}{detail.get('msg', '')}", markup=False)
        if len(details) > MAX_SHOWN:
            err.print(f"  … and {len(details) - MAX_SHOWN} more", markup=False)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the domain's errors into a clear message on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except QuorumError as exc:
            raise fail(exc.message, exc.details) from None

    return wrapper


def read_json_file(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        raise fail(f"cannot read {what} file {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise fail(
            f"{what} file {path} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
