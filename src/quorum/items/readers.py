"""Stream item rows out of JSONL, JSON-array or CSV files, one row at a time, each with its row number.

CSV columns: ``external_id``, ``priority``, ``metadata`` (a JSON object), ``gold`` (JSON), ``payload`` (a JSON
object), ``metadata.KEY`` (one metadata field) and any other column as a payload field. A cell that starts
with ``{`` or ``[`` is read as JSON.
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

from quorum.errors import Invalid

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
                [{"loc": ["format"], "field": "format", "msg": "unknown format"}],
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
        [{"loc": ["format"], "field": "format", "msg": "unknown format"}],
    )


def read_rows(path: Path, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    with path.open("rb") as f:
        if fmt == "jsonl":
            yield from _jsonl(f)
        elif fmt == "json":
            yield from _json_array(f)
        else:
            # Closed here, not left to the garbage collector (which warns of an unclosed file).
            with io.TextIOWrapper(f, encoding="utf-8-sig", newline="") as text:
                yield from _csv(text)


def _jsonl(f: BinaryIO) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for number, line in enumerate(f, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield number, RowError("", f"not valid JSON: {exc}")
            continue
        yield number, value if isinstance(value, dict) else RowError("", "each line must be a JSON object")


def _json_array(f: BinaryIO) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    number = 0
    try:
        for number, value in enumerate(ijson.items(f, "item", use_float=True), start=1):
            yield (
                number,
                value if isinstance(value, dict) else RowError("", "each element must be a JSON object"),
            )
    except ijson.JSONError as exc:
        yield number + 1, RowError("", f"the JSON array is malformed after element {number}: {exc}")
    except UnicodeDecodeError as exc:
        yield number + 1, RowError("", f"the file is not UTF-8: {exc}")


def _csv(text: TextIO) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        yield 1, RowError("", f"unreadable CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            yield reader.line_num, RowError("", f"unreadable CSV: {exc}")
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield reader.line_num, RowError("", f"expected {len(header)} columns, found {len(cells)}")
            continue
        yield reader.line_num, _csv_row(header, cells)


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
