"""JSON at orjson's speed for the bulk paths, giving the values ``json`` gives.

orjson differs from ``json`` in a few corners: it reads integers past 64 bits as floats and refuses NaN,
``1e400``, lone surrogates and UTF-16 (``json`` reads them); it refuses to write integers past 64 bits and
lone surrogates. Those cases go through ``json``, so callers see ``json``'s values and errors."""

from __future__ import annotations

import json
from typing import Any

import orjson

# 19 digits in a row may be an integer past 64 bits. Mapping every digit to "0" and everything else to a
# space, then looking for 19 zeros, is two passes in C: a regular expression tried a match at each digit,
# which cost more than decoding the line once there were 19 digits anywhere (a timestamp has 20).
_DIGITS_AS_ZEROS = bytes(ord("0") if chr(b) in "0123456789" else ord(" ") for b in range(256))
_RUN = b"0" * 19


def may_hold_long_int(data: bytes) -> bool:
    return len(data) >= 19 and _RUN in data.translate(_DIGITS_AS_ZEROS)


def loads(data: bytes | str) -> Any:
    raw = data.encode() if isinstance(data, str) else data
    if may_hold_long_int(raw):
        return json.loads(data)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any, *, ensure_ascii: bool = False) -> str:
    """``ensure_ascii`` applies where ``json`` writes (the database path escapes as SQLAlchemy does)."""
    try:
        # Non-string keys as json writes them ({1: x} -> {"1": x}).
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=ensure_ascii)


def dump_line(value: Any) -> bytes:
    """``dumps(value)`` and a newline as UTF-8: a JSON line, with no text object between orjson and a file
    or response."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(value, ensure_ascii=False) + "\n").encode()
