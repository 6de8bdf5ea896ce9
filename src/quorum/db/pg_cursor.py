"""The psycopg cursor of our PostgreSQL connections: ``description`` built once per result shape.

SQLAlchemy reads ``cursor.description`` after every statement, and psycopg builds a ``Column`` object per
column each time it is read (about 2 us a column here): half of the CPU SQLAlchemy Core spent on the
annotator loop's widest statements (the project's 32 columns with the token's user, the submission's 70).
The columns of a result are a pure function of what libpq reports for it (names, types, modifiers, sizes)
and the connection's encoding, so they are kept per connection under exactly that key.
"""

from __future__ import annotations

import weakref
from typing import Any

import psycopg
from psycopg import Column

# Distinct result shapes kept per connection; the application has a few hundred statements at most.
MAX_SHAPES = 1024

_shapes: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], list[Column]]] = weakref.WeakKeyDictionary()


class DescribedCursor(psycopg.Cursor[Any]):
    @property
    def description(self) -> list[Column] | None:
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description
        key = (
            self._encoding,
            *[
                (result.fname(i), result.ftype(i), result.fmod(i), result.fsize(i))
                for i in range(result.nfields)
            ],
        )
        shapes = _shapes.get(self.connection)
        if shapes is None:
            shapes = _shapes[self.connection] = {}
        columns = shapes.get(key)
        if columns is None:
            if len(shapes) >= MAX_SHAPES:
                shapes.clear()
            columns = shapes[key] = super().description or []
        # A copy: callers may keep or change the list they get, never the cached one.
        return list(columns)
