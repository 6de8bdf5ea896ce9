"""What every piece of outside input must satisfy before it reaches a service or the database, written
once for the API boundary (``web/input_guard.py``) and the item importer (``items/readers.py``).

- No NUL character in any text: PostgreSQL refuses it in ``text`` and ``jsonb`` while SQLite stores it, so
  refusing it everywhere keeps the two databases answering the same.
- Only finite numbers: ``NaN``/``Infinity`` (and ``1e400``, which parses as infinity) are not JSON;
  PostgreSQL's ``jsonb`` refuses them and SQLite would store them.
- Nesting at most ``MAX_DEPTH`` deep: deeper values overflow recursive code downstream (serialisers,
  PostgreSQL's own ``jsonb`` parser), which would be a 500.
- Ids within ``MAX_ID``: the id columns are 32-bit on PostgreSQL; SQLite's 64-bit integers would accept
  more, so the bound is PostgreSQL's on both.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from annotated_types import Interval

MAX_DEPTH = 64
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def as_id(ref: int | str) -> int | None:
    """``ref`` as a row id when it is one: ASCII digits (``'²'.isdigit()`` is true) within ``MAX_ID``."""
    if isinstance(ref, int):
        return ref if 0 <= ref <= MAX_ID else None
    if _ASCII_DIGITS.fullmatch(ref) is None or len(ref) > 10:
        return None
    value = int(ref)
    return value if value <= MAX_ID else None


def text_problem(value: str) -> str | None:
    return "must not contain NUL characters (\\u0000)" if "\x00" in value else None


def value_problems(
    value: Any, loc: list[str | int], *, max_string_bytes: int | None = None, limit: int = 20
) -> list[tuple[list[str | int], str]]:
    """Every problem in a JSON-like value as ``(loc, msg)``, at most ``limit`` of them. Iterative, so a
    value nested far deeper than the interpreter's recursion limit is reported rather than crashing."""
    problems: list[tuple[list[str | int], str]] = []
    stack: list[tuple[Any, list[str | int], int]] = [(value, loc, 0)]
    while stack and len(problems) < limit:
        current, where, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth >= MAX_DEPTH:
                problems.append((where, f"nested more than {MAX_DEPTH} levels deep"))
                continue
            pairs = current.items() if isinstance(current, dict) else enumerate(current)
            for key, child in pairs:
                if isinstance(key, str) and (msg := text_problem(key)):
                    problems.append(([*where, key], f"key {msg}"))
                stack.append((child, [*where, key], depth + 1))
        elif isinstance(current, str):
            if msg := text_problem(current):
                problems.append((where, msg))
            elif max_string_bytes is not None and len(current) * 4 > max_string_bytes:
                size = len(current.encode())
                if size > max_string_bytes:
                    problems.append((where, f"is {size} bytes; at most {max_string_bytes} are allowed"))
        elif isinstance(current, float) and not math.isfinite(current):
            problems.append((where, "must be a finite number (not NaN or Infinity)"))
    return problems


def field_name(loc: list[str | int]) -> str:
    return ".".join(str(p) for p in loc)


# A row id (or a count stored in a 32-bit column) in a path, a query or a body: bounded so both databases
# refuse the same values with a 422 naming the parameter.
Id = Annotated[int, Interval(ge=0, le=MAX_ID)]
