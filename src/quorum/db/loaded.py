"""ORM objects made from plain rows: what the loop's ``db.direct`` statements return, as if loaded.

A ``Shape`` lists what a statement selects, entities (their mapped columns, less any left out) and single
columns, in order; ``Shape.load`` takes a row apart into the same values a ``Session.execute`` of the
entities would give: each entity persistent in the session, clean (nothing to flush), refreshed if the
session held it already (``populate_existing``), None where an outer join found no row. A column left out
loads on first access, as a deferred one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state


class _Entity:
    def __init__(self, model: type[Any], leave_out: Iterable[str]) -> None:
        mapper: Mapper[Any] = inspect(model)
        skipped = set(leave_out)
        attrs = [attr for attr in mapper.column_attrs if attr.key not in skipped]
        self.mapper = mapper
        self.keys = tuple(attr.key for attr in attrs)
        self.columns: tuple[ColumnElement[Any], ...] = tuple(attr.columns[0] for attr in attrs)
        primary = {column.key for column in mapper.primary_key}
        if len(primary) != 1:
            raise ValueError(f"{model.__name__}: one primary key column expected")
        self.pk_index = next(i for i, attr in enumerate(attrs) if attr.columns[0].key in primary)

    def load(self, db: Session, values: Sequence[Any]) -> Any:
        pk = values[self.pk_index]
        if pk is None:
            return None
        existing = db.identity_map.get(self.mapper.identity_key_from_primary_key((pk,)))
        if existing is not None:
            state = instance_state(existing)
            state.dict.update(zip(self.keys, values, strict=True))
            # What ``populate_existing`` does to an object it reloads: the read's values become its
            # committed state, changes made to it since are dropped.
            state._commit_all(state.dict, db.identity_map)
            return existing
        entity = self.mapper.class_manager.new_instance()
        entity.__dict__.update(zip(self.keys, values, strict=True))
        make_transient_to_detached(entity)
        db.add(entity)
        return entity


class Shape:
    """What a statement selects: a model (all its columns), ``(model, names left out)``, or a column."""

    def __init__(
        self, *parts: type[Any] | tuple[type[Any], Iterable[str]] | ColumnElement[Any] | Any
    ) -> None:
        self._parts: list[tuple[int, int, _Entity | None]] = []
        columns: list[Any] = []
        for part in parts:
            entity: _Entity | None = None
            if isinstance(part, tuple):
                entity = _Entity(part[0], part[1])
            elif isinstance(part, type):
                entity = _Entity(part, ())
            start = len(columns)
            columns.extend(entity.columns if entity is not None else (part,))
            self._parts.append((start, len(columns), entity))
        self.columns: tuple[Any, ...] = tuple(columns)

    def load(self, db: Session, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            entity.load(db, row[start:end]) if entity is not None else row[start]
            for start, end, entity in self._parts
        )
