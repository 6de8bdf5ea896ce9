"""What services do differently on PostgreSQL and SQLite, in one place.

SQLite runs each writing unit of work under ``BEGIN IMMEDIATE`` (``db/engine.py``): one writer at a time,
so it needs neither row locks nor advisory locks. PostgreSQL runs writers concurrently under READ
COMMITTED: rows are locked with ``FOR UPDATE`` and a person's claims are serialised by a
transaction-scoped advisory lock. Callers building a statement once (the annotator's hot path) ask
``is_postgresql`` and pass the answer to their cached builder; the SQL itself stays identical.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Insert, Integer, Select, Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quorum.db.direct import Direct

Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:u, :p)")
_GENERIC_PLANS = Direct(text("SET LOCAL plan_cache_mode = auto"))


def is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def generic_plans(db: Session) -> None:
    """Let PostgreSQL run prepared statements on their generic plans for the rest of this unit of work.
    The engine forces a fresh plan per execution (``db/engine.py``: an import's lookup of many ids needs
    one), but the annotator loop's statements have one good plan for any parameters, and planning the
    claim's scan afresh cost PostgreSQL five times running it (1.1 ms against 0.19 ms a claim here).
    A statement of its own: set by a column of the first statement, it came too late for that
    statement's own plan (the token-and-project read and the submission's read were planned on every
    call, 0.7 ms of PostgreSQL's CPU each; the SET costs a round trip, far less)."""
    if is_postgresql(db):
        _GENERIC_PLANS.rows(db)


def lock_for_update(db: Session, query: Query) -> Query:
    """``query`` with ``FOR UPDATE`` on PostgreSQL: its rows stay locked until the unit of work ends."""
    return query.with_for_update() if is_postgresql(db) else query


def advisory_lock(db: Session, first: int, second: int) -> None:
    """Wait for the transaction-scoped advisory lock ``(first, second)`` on PostgreSQL, held until the unit
    of work ends; on SQLite the single writer already holds everything."""
    if is_postgresql(db):
        db.execute(_ADVISORY_LOCK, {"u": first, "p": second})


def advisory_lock_filter(first: str, second: str) -> TextClause:
    """A WHERE condition that takes the advisory lock of the bound parameters ``first`` and ``second``
    (PostgreSQL only): an uncorrelated EXISTS, run once as a one-time filter before any row is read, so
    a statement can take the lock without a round trip of its own."""
    return text(f"EXISTS (SELECT 1 FROM pg_advisory_xact_lock(:{first}, :{second}))").bindparams(
        bindparam(first, type_=Integer), bindparam(second, type_=Integer)
    )


def insert_unless_conflict(db: Session, table: Table | type[Any]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` (no conflict target, so a partial unique index counts too): the
    loser of a uniqueness race inserts nothing instead of failing its unit of work. Same SQL on both."""
    if is_postgresql(db):
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
