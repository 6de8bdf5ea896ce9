"""Statements of the annotator loop run straight on the DBAPI cursor, their SQL compiled once per dialect.

Through SQLAlchemy Core each of the loop's statements cost the server about 245 us of CPU where bare
psycopg takes 80: an execution context, the parameters processed, the result's metadata and a ``Row``
per row, on every call of a statement whose SQL never changes. ``Direct`` keeps, per dialect, the SQL
string, the order of its parameters and the type processors SQLAlchemy would apply to them and to the
result's columns (UTC datetimes, JSON and booleans on SQLite), and runs the statement on the unit of
work's own DBAPI connection, inside its transaction.

Kept from SQLAlchemy: the ``before_cursor_execute`` and ``after_cursor_execute`` events (tests count the
statements a request sends with them) and the wrapping of DBAPI errors (a broken constraint is still an
``IntegrityError``, so still a ``Conflict``; a dropped connection still invalidates the pool's). Not
supported, and refused when compiled: expanding (``IN``) and literal-execute parameters. Not given:
``retval`` listeners and the engine's echo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement, Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    """One statement compiled for one dialect."""

    sql: str
    # Positional paramstyles (SQLite's ``?``): the parameter names in the order of their placeholders.
    order: tuple[str, ...] | None
    defaults: Mapping[str, Any]
    binds: tuple[tuple[str, Processor], ...]
    types: tuple[Any, ...]
    returns_rows: bool
    dialect: Dialect
    # Made from the first result's column types (psycopg's numeric processors depend on them), as
    # SQLAlchemy keeps a compiled statement's result metadata.
    results: tuple[tuple[int, Processor], ...] | None = None

    def processors(self, description: Sequence[Sequence[Any]] | None) -> tuple[tuple[int, Processor], ...]:
        if self.results is None:
            codes = [column[1] for column in description or ()]
            self.results = tuple(
                (index, process)
                for index, type_ in enumerate(self.types)
                if (process := type_._cached_result_processor(self.dialect, codes[index] if codes else None))
                is not None
            )
        return self.results

    def parameters(self, given: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        values = {**self.defaults, **given}
        for name, process in self.binds:
            values[name] = process(values[name])
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)

    def rows(
        self, fetched: Sequence[Sequence[Any]], description: Sequence[Sequence[Any]] | None
    ) -> list[tuple[Any, ...]]:
        if not fetched:
            return []
        results = self.processors(description)
        if not results:
            return [tuple(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for index, process in results:
                values[index] = process(values[index])
            out.append(tuple(values))
        return out


def _compile(statement: ClauseElement, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {statement!r}")
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("expanding or literal-execute parameters are rendered per call: use Session.execute")
    binds = tuple(
        (name, process)
        for name, process in compiled._bind_processors.items()
        if process is not None and callable(process)
    )
    defaults = compiled.construct_params(_check=False)
    return _Plan(
        sql=compiled.string,
        order=tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None,
        defaults=defaults,
        binds=binds,
        types=tuple(column.type for column in compiled._result_columns),
        returns_rows=bool(compiled._result_columns),
        dialect=dialect,
    )


class Direct:
    """A statement built once and compiled once per dialect, run on the session's DBAPI cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan

    def rows(self, db: Session, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The statement's rows (none for one that returns none), in the unit of work's transaction."""
        connection = db.connection()
        plan = self._plan(connection.dialect)
        return plan.rows(*_run(connection, plan, plan.parameters(params or {})))

    def first(self, db: Session, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        found = self.rows(db, params)
        return found[0] if found else None


def _run(
    connection: Connection, plan: _Plan, parameters: Any
) -> tuple[Sequence[Sequence[Any]], Sequence[Sequence[Any]] | None]:
    # The same events SQLAlchemy fires around its own cursor calls, only when someone listens.
    events = connection._has_events or connection.engine._has_events
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if events:
            connection.dispatch.before_cursor_execute(connection, cursor, plan.sql, parameters, None, False)
        cursor.execute(plan.sql, parameters)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, plan.sql, parameters, None, False)
        fetched: Sequence[Sequence[Any]] = cursor.fetchall() if plan.returns_rows else ()
        # Read only until the plan keeps its result processors (building it costs psycopg CPU).
        description = cursor.description if fetched and plan.results is None else None
    except BaseException as exc:
        # SQLAlchemy's own handling: DBAPI errors wrapped in its exceptions, a disconnect invalidates.
        connection._handle_dbapi_exception(exc, plan.sql, parameters, cursor, None)
    finally:
        cursor.close()
    return fetched, description
