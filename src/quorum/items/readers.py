"""Stream item rows out of JSONL, JSON-array or CSV files, one row at a time, each with its row number.

CSV columns: ``external_id``, ``priority``, ``metadata`` (a JSON object), ``gold`` (JSON), ``payload`` (a JSON
object), ``metadata.KEY`` (one metadata field) and any other column as a payload field. A cell that starts
with ``{`` or ``[`` is read as JSON.

Every format may start with a UTF-8 byte-order mark. Each row must pass ``core.input_checks`` (no NUL
characters, finite numbers, bounded nesting) and no single string may exceed ``max_field_bytes``; a row
that does not is a ``RowError`` naming the field, as is a CSV quote that is never closed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

import ijson
import orjson

from quorum.config import DEFAULT_MAX_FIELD_BYTES
from quorum.core.input_checks import MAX_DEPTH, field_name, value_problems
from quorum.core.json_text import may_hold_long_int
from quorum.errors import Invalid, field_error

Format = Literal["jsonl", "json", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "json", "csv")
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True)
class RowError:
    field: str
    msg: str


def detect_format(path: Path, declared: str | None = None) -> Format:
    if declared:
        if declared not in FORMATS:
            raise Invalid(
                f"unknown format {declared!r}; use one of {', '.join(FORMATS)}",
                [field_error("format", "unknown format")],
            )
        return declared
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".json", ".csv"):
        return suffix[1:]  # type: ignore[return-value]
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    raise Invalid(
        "cannot tell the file's format; name it .jsonl, .json or .csv, or pass the format",
        [field_error("format", "unknown format")],
    )


BOM = b"\xef\xbb\xbf"
Rows = Iterator[tuple[int, dict[str, Any] | RowError]]


def read_rows(path: Path, fmt: Format, *, max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES) -> Rows:
    with path.open("rb") as f:
        if f.read(len(BOM)) != BOM:
            f.seek(0)
        if fmt == "csv":
            # Closed here, not left to the garbage collector (which warns of an unclosed file).
            with io.TextIOWrapper(f, encoding="utf-8-sig", newline="") as text:
                yield from _checked_rows(_csv(text), max_field_bytes)
        elif fmt == "jsonl":
            yield from _jsonl(f, max_field_bytes)
        else:
            yield from _checked_rows(_json_array(f), max_field_bytes)


def _checked_rows(rows: Rows, max_field_bytes: int) -> Rows:
    for number, row in rows:
        yield number, row if isinstance(row, RowError) else _checked(row, max_field_bytes)


def _checked(row: dict[str, Any], max_field_bytes: int) -> dict[str, Any] | RowError:
    problems = value_problems(row, [], max_string_bytes=max_field_bytes, limit=1)
    if not problems:
        return row
    loc, msg = problems[0]
    return RowError(field_name(loc), msg)


def _jsonl(f: BinaryIO, max_field_bytes: int) -> Rows:
    for number, line in enumerate(f, start=1):
        # isspace, not strip: no copy of every line just to find the blank ones (a line here is never empty)
        if line.isspace():
            continue
        value: Any = None
        fast = _fast_path(line, max_field_bytes)
        if fast:
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                fast = (
                    False  # stricter than json (a BOM, UTF-16, NaN, lone surrogates): json decides, as before
                )
        if not fast:
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield number, RowError("", f"not valid JSON: {exc}")
                continue
            except RecursionError:
                yield number, RowError("", _TOO_DEEP)
                continue
        if not isinstance(value, dict):
            yield number, RowError("", "each line must be a JSON object")
        else:
            yield number, value if fast else _checked(value, max_field_bytes)


def _fast_path(line: bytes, max_field_bytes: int) -> bool:
    """Whether orjson may read ``line`` and the per-value checks be skipped: they can find nothing when no
    string can be longer than the line, no escaped NUL appears, there are fewer brackets than the nesting
    bound, and orjson itself refuses non-finite numbers. Any other line takes json and the full checks."""
    return (
        len(line) <= max_field_bytes
        and b"\\u0000" not in line
        and line.count(b"{") + line.count(b"[") < MAX_DEPTH
        and not may_hold_long_int(line)
    )


_TOO_DEEP = "nested too deeply to read"


def _json_array(f: BinaryIO) -> Rows:
    # ijson's basic events, built into rows here: ijson.items keeps a prefix string per nesting level, so a
    # deeply nested element costs memory quadratic in its depth; this builder stops at MAX_DEPTH instead.
    events = ijson.basic_parse(f, use_float=True)
    number = 0
    try:
        first = next(events, None)
        if first is None:
            return
        if first[0] != "start_array":
            yield 1, RowError("", "the file must be one JSON array of objects")
            return
        for event in events:
            if event[0] == "end_array":
                return
            row = _element(event, events)
            number += 1
            yield number, row
    except ijson.JSONError as exc:
        yield number + 1, RowError("", f"the JSON array is malformed after element {number}: {exc}")
    except UnicodeDecodeError as exc:
        yield number + 1, RowError("", f"the file is not UTF-8: {exc}")


_STARTS, _ENDS = ("start_map", "start_array"), ("end_map", "end_array")


def _element(event: tuple[str, Any], events: Iterator[tuple[str, Any]]) -> dict[str, Any] | RowError:
    root: Any = None
    stack: list[dict[str, Any] | list[Any]] = []
    keys: list[str] = []
    while True:
        kind, value = event
        if kind == "map_key":
            keys[-1] = value
        elif kind in _STARTS:
            if len(stack) >= MAX_DEPTH:
                _skip(events, len(stack) + 1)
                return RowError("", f"nested more than {MAX_DEPTH} levels deep")
            container: dict[str, Any] | list[Any] = {} if kind == "start_map" else []
            if stack:
                _add(stack[-1], keys[-1], container)
            else:
                root = container
            stack.append(container)
            keys.append("")
        elif kind in _ENDS:
            stack.pop()
            keys.pop()
        elif stack:
            _add(stack[-1], keys[-1], value)
        else:
            root = value
        if not stack:
            break
        event = next(events)
    return root if isinstance(root, dict) else RowError("", "each element must be a JSON object")


def _add(container: dict[str, Any] | list[Any], key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
    else:
        container.append(value)


def _skip(events: Iterator[tuple[str, Any]], depth: int) -> None:
    for kind, _ in events:
        depth += kind in _STARTS
        depth -= kind in _ENDS
        if depth == 0:
            return


def _csv(text: TextIO) -> Rows:
    # strict: a quote that is never closed is an error at the end of the file instead of one last field
    # that silently swallows every following row.
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        yield 1, RowError("", f"unreadable CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                exc = csv.Error(f"a quoted field opened in line {start} is never closed")
            yield start, RowError("", f"unreadable CSV: {exc}")
            return
        except UnicodeDecodeError as exc:
            yield start, RowError("", f"unreadable CSV: {exc}")
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield start, RowError("", f"expected {len(header)} columns, found {len(cells)}")
            continue
        yield start, _csv_row(header, cells)


_TOP_LEVEL = {"external_id", "priority", "metadata", "gold", "payload"}


def _csv_row(header: list[str], cells: list[str]) -> dict[str, Any] | RowError:
    row: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        value: Any = cell
        if cell.lstrip().startswith(("{", "[")) or name in ("metadata", "payload", "gold"):
            if name == "gold" and not cell.strip():
                continue
            try:
                value = json.loads(cell)
            except json.JSONDecodeError as exc:
                return RowError(name, f"not valid JSON: {exc}")
            except RecursionError:
                return RowError(name, _TOO_DEEP)
        if name in _TOP_LEVEL:
            row[name] = value
        elif name.startswith("metadata."):
            metadata[name.removeprefix("metadata.")] = value
        else:
            payload[name] = value
    if payload:
        if "payload" in row:
            return RowError(
                "payload", "give the payload as one 'payload' column or as separate columns, not both"
            )
        row["payload"] = payload
    if metadata:
        row["metadata"] = {**row.get("metadata", {}), **metadata}
    if "priority" in row and isinstance(row["priority"], str):
        try:
            row["priority"] = float(row["priority"]) if row["priority"].strip() else 0.0
        except ValueError:
            return RowError("priority", "must be a number")
    return row
