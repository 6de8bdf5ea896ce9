"""A pooled PostgreSQL connection that died while idle is replaced before a request uses it, and one in
steady use is not pinged at all (the ping is a round trip per request)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from quorum.db import Database, engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    yield database
    database.dispose()


def _kill_backends(pg_url: str, pids: set[int]) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _backend_pid(database: Database) -> int:
    with database.session() as db:
        return int(db.scalar(text("SELECT pg_backend_pid()")))


def test_a_connection_killed_while_idle_is_replaced(
    pg_database: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(pg_database)
    _kill_backends(pg_url, {first})
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_S", 0.0)
    assert _backend_pid(pg_database) != first


def test_without_the_idle_ping_the_dead_connection_reaches_the_request(
    pg_database: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The counterpart of the test above: it shows the ping is what saves the request.
    first = _backend_pid(pg_database)
    _kill_backends(pg_url, {first})
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_S", 3600.0)
    with pytest.raises(OperationalError):
        _backend_pid(pg_database)


def test_a_busy_connection_is_not_pinged(pg_database: Database) -> None:
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    _backend_pid(pg_database)
    pings = 0
    original = pg_database.engine.dialect.do_ping

    def counting_ping(dbapi_connection: object) -> bool:
        nonlocal pings
        pings += 1
        return original(dbapi_connection)

    pg_database.engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    event.listen(pg_database.engine, "before_cursor_execute", count)
    for _ in range(5):
        _backend_pid(pg_database)
    assert pings == 0
    assert len(sent) == 5
