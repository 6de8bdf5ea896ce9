"""Engine construction. SQLite gets WAL, foreign keys and ``BEGIN IMMEDIATE`` so that writers queue
instead of failing mid-transaction; PostgreSQL goes through psycopg 3."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from quorum.core import json_text
from quorum.db.pg_cursor import DescribedCursor
from quorum.errors import Conflict


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below start transactions, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # One writer at a time: take the write lock up front so read-then-write decisions
        # (overlap counts, idempotency) cannot interleave with another writer.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# Requests in the app at once (``web.limits.ConcurrencyLimit``) keep their connections open between
# requests: a connection opened and closed per burst costs a PostgreSQL backend start, cold catalog caches
# and lost prepared statements (at 32 clients the pool of 10 it replaced opened one every 4 requests).
# The overflow is for the connections a streaming export opens on its own.
POOL_SIZE = 24
POOL_OVERFLOW = 6
MAX_CONNECTIONS = POOL_SIZE + POOL_OVERFLOW


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_deserializer=json_text.loads,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        _configure_sqlite(engine)
        return engine
    # psycopg prepares a statement after five runs, and PostgreSQL may then plan it once for any
    # parameters: a lookup of 1,000 external ids becomes a linear search per row (seconds per batch on a
    # large import). Custom plans see the actual values and keep such lookups hashed and indexed.
    engine = create_engine(
        url,
        echo=echo,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan", "cursor_factory": DescribedCursor},
        # Every JSON column read (an export reads a project's worth) parses at orjson's speed.
        json_deserializer=json_text.loads,
    )
    _ping_when_idle(engine)
    return engine


# A connection back in use within this many seconds is not pinged: under load that saves a round trip
# per request, and a server restart is still noticed on the first checkout after a quiet spell.
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping`` for connections that sat idle: a dead one is replaced before the request uses
    it (the pool retries the checkout when this raises ``DisconnectionError``)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"a pooled connection was dead after {PING_AFTER_IDLE_S}s idle") from exc


class Database:
    """An engine and its session factory. Entry points open one unit of work per request or command."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, echo=echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Copied into every unit of work's ``Session.info``: how services reach what the entry point wired
        # in (the job queue) without importing the layers above them.
        self.session_info: dict[str, Any] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back on any error. A constraint
        the block's writes broke (a uniqueness race lost to a concurrent unit of work, past the service's
        own check) leaves as ``Conflict``: a 409 on the web, exit code 2 on the CLI, and a retry sees the
        winner's row."""
        try:
            with self.sessionmaker() as session, session.begin():
                session.info.update(self.session_info)
                yield session
        except IntegrityError as exc:
            raise Conflict(
                "a concurrent change conflicted with this one; retry it", {"constraint": str(exc.orig)[:200]}
            ) from None

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
