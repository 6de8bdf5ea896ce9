"""Insert many rows at the driver's speed: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

The ORM's insert spends most of a bulk import on per-row parameter processing; this writes the same
values the ORM would (its Python-side column defaults, JSON ``None`` as the JSON ``null`` SQLAlchemy
stores, UTC datetimes through the column type) inside the session's own transaction, so a later error
still rolls the rows back with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from itertools import chain
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import JSON, ColumnDefault, ColumnElement, Table, any_, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from quorum.core.json_text import dumps
from quorum.db.dialect import is_postgresql


def insert_rows(db: Session, model: type[DeclarativeBase], rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) into ``model``'s table; columns
    not given take their Python-side default, the server fills the rest (the primary key)."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    db.flush()  # rows the ORM still holds (the project, an earlier batch's updates) go first
    plan = _Plan(db, model, list(first))
    values = map(plan.values, chain([first], it))
    if plan.dialect.name == "postgresql":
        with CopyStream(db, model, plan) as copy:
            copy.write_values(values)
    else:
        marks = ", ".join("?" for _ in plan.names)
        db.connection().exec_driver_sql(
            f'INSERT INTO "{plan.table.name}" ({plan.columns}) VALUES ({marks})', list(values)
        )


class _Plan:
    """How a row dict with the keys ``given`` becomes the tuple written: its values in order, the JSON and
    decorated columns converted, then the columns left out with their Python-side default (evaluated once,
    here)."""

    def __init__(self, db: Session, model: type[DeclarativeBase], given: list[str]) -> None:
        self.table = cast(Table, model.__table__)
        self.dialect = db.get_bind().dialect
        defaults = {
            c.name: _default(c.default)
            for c in self.table.columns
            if c.name not in given and c.default is not None
        }
        defaults = {name: value for name, value in defaults.items() if value is not _NONE}
        self.names = [*given, *defaults]
        self.columns = ", ".join(f'"{n}"' for n in self.names)
        self._fixed = [_converter(self.table.c[name].type, self.dialect)(v) for name, v in defaults.items()]
        # Only the columns whose values change on the way (JSON text, decorated types) pass a function; the
        # rest are taken as they are, all of a row at once: per value, the call was a good part of the cost.
        self._converted = [
            (i, conv)
            for i, name in enumerate(given)
            if (conv := _converter(self.table.c[name].type, self.dialect)) is not _same
        ]
        self._get = itemgetter(*given)
        self._single = len(given) == 1

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        out = [self._get(row)] if self._single else list(self._get(row))
        for i, conv in self._converted:
            out[i] = conv(out[i])
        out.extend(self._fixed)
        return tuple(out)  # SQLAlchemy's executemany takes tuples only


class CopyStream:
    """A PostgreSQL ``COPY`` into ``model``'s table that stays open across many writes, in the session's
    transaction: the server applies the rows as they arrive while the caller prepares the next ones (one
    ``COPY`` per batch made each wait for the other). Until it is closed the session's connection is busy:
    nothing else may query through it. Closing with an exception aborts the ``COPY`` (and so the
    transaction); a constraint it breaks raises SQLAlchemy's ``IntegrityError``, as the ORM would."""

    def __init__(self, db: Session, model: type[DeclarativeBase], plan: _Plan | list[str]) -> None:
        if isinstance(plan, list):
            db.flush()
            plan = _Plan(db, model, plan)
        self._plan = plan
        self._statement = f'COPY "{plan.table.name}" ({plan.columns}) FROM STDIN'
        self._stack = ExitStack()
        raw = db.connection().connection.driver_connection
        cursor = self._stack.enter_context(raw.cursor())  # type: ignore[union-attr]
        with _integrity(self._statement):
            self._copy = self._stack.enter_context(cursor.copy(self._statement))

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        self.write_values(map(self._plan.values, rows))

    def write_values(self, values: Iterable[tuple[Any, ...]]) -> None:
        write_row = self._copy.write_row
        with _integrity(self._statement):
            for value in values:
                write_row(value)

    def close(self, exc: BaseException | None = None) -> None:
        """End the ``COPY``, waiting for the server to apply what it has not yet; ``exc`` aborts it."""
        with _integrity(self._statement):
            if exc is None:
                self._stack.close()
            else:
                self._stack.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> CopyStream:
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        self.close(exc)


@contextmanager
def _integrity(statement: str) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        # As SQLAlchemy would raise it, so a lost uniqueness race is still a Conflict (db.Database.session).
        raise IntegrityError(statement, None, exc) from exc


def reserve_ids(db: Session, model: type[DeclarativeBase], n: int) -> list[int]:
    """``n`` ids for new rows of ``model``'s table, in order, so rows can be written with their ids and
    need no reading back: from the table's sequence on PostgreSQL; on SQLite the ones it would assign
    itself (after the largest), which no other writer can take first: every transaction there begins
    with ``BEGIN IMMEDIATE`` (``db.engine``), holding the one write lock until it ends."""
    table = cast(Table, model.__table__)
    if not is_postgresql(db):
        db.flush()  # rows the ORM still holds take their ids first
        last = db.scalar(select(func.max(table.c.id))) or 0
        return list(range(last + 1, last + 1 + n))
    # The sequence named once, not per id, and the ids back as one array rather than a row each.
    sequence = text(
        "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq)"
        " SELECT array_agg(nextval(s.seq)) FROM s CROSS JOIN generate_series(1, :n)"
    )
    return sorted(db.scalar(sequence, {"table": table.name, "n": n}) or [])


def among(db: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a page of values: on PostgreSQL one array parameter, ``= ANY(...)``; a
    thousand-value ``IN`` list cost more to render and for psycopg to split than the query to run."""
    if is_postgresql(db):
        return cast(ColumnElement[bool], column == any_(literal(list(values), ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(values))


def analyze(db: Session, model: type[DeclarativeBase], *columns: str) -> None:
    """On PostgreSQL, refresh the planner's statistics of ``model``'s table (``columns`` only: the ones
    queries filter on; the JSON columns would cost most of it) inside the session's transaction.

    Rows a transaction writes stay invisible to autovacuum until it commits, so after a bulk write into a
    table that was empty the planner still assumes a few rows per project: a keyset page then sorts every
    remaining row (an export ran quadratic in the project's size). ``ANALYZE`` counts the transaction's own
    rows; without the right to it PostgreSQL only warns, and the plans stay as they were."""
    if not is_postgresql(db):
        return
    table = cast(Table, model.__table__)
    names = ", ".join(f'"{table.c[c].name}"' for c in columns)
    db.execute(text(f'ANALYZE "{table.name}" ({names})'))


_NONE = object()


def _default(default: Any) -> Any:
    """A column's Python-side default, evaluated once for the batch; ``_NONE`` for a SQL one."""
    if isinstance(default, ColumnDefault) and default.is_callable:
        return default.arg(None)
    if isinstance(default, ColumnDefault) and default.is_scalar:
        return default.arg
    return _NONE


def _converter(type_: Any, dialect: Any) -> Callable[[Any], Any]:
    if isinstance(type_, JSON):
        return _json
    if isinstance(type_, TypeDecorator):
        impl = type_.impl_instance
        inner = impl.bind_processor(dialect) if dialect.name == "sqlite" else None

        def decorated(value: Any) -> Any:
            processed = type_.process_bind_param(value, dialect)
            return inner(processed) if inner is not None else processed

        return decorated
    return _same


def _json(value: Any) -> str:
    return dumps(value, ensure_ascii=True)


def _same(value: Any) -> Any:
    return value
