"""Insert many rows at the driver's speed: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

The ORM's insert spends most of a bulk import on per-row parameter processing; this writes the same
values the ORM would (its Python-side column defaults, JSON ``None`` as the JSON ``null`` SQLAlchemy
stores, UTC datetimes through the column type) inside the session's own transaction, so a later error
still rolls the rows back with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def insert_rows(db: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) into ``model``'s table; columns
    not given take their Python-side default, the server fills the rest (the primary key)."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    db.flush()  # rows the ORM still holds (the project, an earlier batch's updates) go first
    given = list(rows[0])
    defaults = {
        c.name: _default(c.default) for c in table.columns if c.name not in given and c.default is not None
    }
    defaults = {name: value for name, value in defaults.items() if value is not _NONE}
    names = [*given, *defaults]
    dialect = db.get_bind().dialect
    fixed = [_converter(table.c[name].type, dialect)(v) for name, v in defaults.items()]
    # Only the columns whose values change on the way (JSON text, decorated types) pass a function; the
    # rest are taken as they are, all of a row at once: per value, the call was a good part of the cost.
    converted = [
        (i, conv)
        for i, name in enumerate(given)
        if (conv := _converter(table.c[name].type, dialect)) is not _same
    ]
    get = itemgetter(*given)
    single = len(given) == 1

    def row_values(row: dict[str, Any]) -> tuple[Any, ...]:
        out = [get(row)] if single else list(get(row))
        for i, conv in converted:
            out[i] = conv(out[i])
        out.extend(fixed)
        return tuple(out)  # SQLAlchemy's executemany takes tuples only

    values = map(row_values, rows)
    connection = db.connection()
    columns = ", ".join(f'"{n}"' for n in names)
    if dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for value in values:
                    copy.write_row(value)
        except psycopg.errors.IntegrityError as exc:
            # As SQLAlchemy would raise it, so a lost uniqueness race is still a Conflict (db.Database.session).
            raise IntegrityError(statement, None, exc) from exc
    else:
        marks = ", ".join("?" for _ in names)
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', list(values))


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
    sequence = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return sorted(db.scalars(sequence, {"table": table.name, "n": n}))


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
