"""Export rows as Arrow tables with the schema ``datasets.load_dataset("json")`` gives their JSON lines.

Parquet and the ``datasets`` folder used to be written by dumping the JSON lines to disk and loading them
back with ``datasets``' JSON loader, which re-encoded every value of its ``Json`` fields row by row with
ujson (about 80 % of the time). Here the rows are encoded as they are made, with the loader's own rules:
chunks of about ``CHUNK`` bytes of JSON lines (the loader's ``chunksize``); the fields whose objects
differ in keys or are empty in the first chunk (``find_mixed_struct_types_field_paths``), and any that
Arrow's reader then finds changing type, become ``Json`` (their values written as JSON text); Arrow's JSON
reader infers the first chunk's schema, and every later chunk is cast to it. One chunk is in memory at a
time."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from quorum.core.json_text import dump_line, dumps

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa

CHUNK = 10 << 20  # the JSON loader's default chunksize

FieldPath = list[str | int]


def _leaf(value: Any) -> Any:
    """A ``Json`` value as JSON text; a string that already reads as JSON is kept, as the loader does."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            return dumps(value)
        return value
    return dumps(value)


def encoder(path: FieldPath) -> Callable[[Any], Any]:
    """``datasets.utils.json.json_encode_field(·, path)`` with orjson, made once per path: the value at
    ``path`` (``0`` steps into each element of a list) as JSON text, the rest of the row as it was."""
    if not path:
        return _leaf
    step, inner = path[0], encoder(path[1:])
    if step == 0:
        return lambda value: None if value is None else [inner(x) for x in value]
    return lambda value: None if value is None else {**value, step: inner(value.get(step))}


def _encoders(paths: list[FieldPath]) -> list[Callable[[Any], Any]]:
    return [encoder(path) for path in paths]


def _lines(rows: list[dict[str, Any]], paths: list[FieldPath]) -> bytes:
    encoders = _encoders(paths)
    out = []
    for row in rows:
        for encode in encoders:
            row = encode(row)
        out.append(dump_line(row))
    return b"".join(out)


class ArrowRows:
    """Chunks of export rows as Arrow tables of one schema, ``features`` and ``schema`` set by the first."""

    def __init__(self) -> None:
        self.paths: list[FieldPath] = []
        self.features: datasets.Features | None = None
        self.schema: pa.Schema | None = None

    def _first(self, rows: list[dict[str, Any]]) -> pa.Table:
        """The first chunk sets the ``Json`` fields and the schema, as the loader's first chunk does."""
        import datasets
        import pyarrow as pa
        from datasets.utils.json import (
            find_mixed_struct_types_field_paths,
            get_json_field_path_from_pyarrow_json_error,
            insert_json_field_path,
            set_json_types_in_feature,
        )

        self.paths = find_mixed_struct_types_field_paths(rows)
        while True:
            try:
                table = _read(_lines(rows, self.paths))
                break
            except pa.ArrowInvalid as e:
                # A field that changes type (a list in one row, a string in another) becomes Json too.
                message = str(e)
                if "JSON parse error: Column(" not in message or ") changed from" not in message:
                    raise
                path = get_json_field_path_from_pyarrow_json_error(message, examples=iter(rows))
                if not path or any(path[: len(p)] == p for p in self.paths):
                    raise
                insert_json_field_path(self.paths, path)
        self.features = set_json_types_in_feature(
            datasets.Features.from_arrow_schema(table.schema), self.paths
        )
        self.schema = self.features.arrow_schema
        return self._cast(table)

    def _cast(self, table: pa.Table) -> pa.Table:
        import pyarrow as pa
        from datasets.table import table_cast

        schema = self.schema
        if schema is None:
            raise RuntimeError("the first chunk sets the schema")
        for name in schema.names:
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(len(table), type=schema.field(name).type))
        return table_cast(table, schema)

    def tables(self, rows: Iterable[dict[str, Any]]) -> Iterator[pa.Table]:
        iterator = iter(rows)
        first: list[dict[str, Any]] = []
        size = 0
        # The loader cuts its chunks at the bytes of the plain lines: the first one decides the schema.
        for row in iterator:
            first.append(row)
            size += len(dump_line(row))
            if size >= CHUNK:
                break
        if not first:
            return
        yield self._first(first)
        del first
        lines: list[bytes] = []
        size = 0
        encoders = _encoders(self.paths)
        for row in iterator:
            for encode in encoders:
                row = encode(row)
            line = dump_line(row)
            lines.append(line)
            size += len(line)
            if size >= CHUNK:
                yield self._cast(_read(b"".join(lines)))
                lines, size = [], 0
        if lines:
            yield self._cast(_read(b"".join(lines)))


def _read(batch: bytes) -> pa.Table:
    import pyarrow.json as paj

    # One block: Arrow infers the chunk's types in one pass and no line straddles two blocks.
    return paj.read_json(io.BytesIO(batch), read_options=paj.ReadOptions(block_size=len(batch) + 1))
