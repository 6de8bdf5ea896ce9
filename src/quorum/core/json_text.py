"""JSON at orjson's speed for the bulk paths, giving the values ``json`` gives.

orjson differs from ``json`` in a few corners: it reads integers past 64 bits as floats and refuses NaN,
``1e400``, lone surrogates and UTF-16 (``json`` reads them); it refuses to write integers past 64 bits and
lone surrogates. Those cases go through ``json``, so callers see ``json``'s values and errors."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# 19 digits in a row may be an integer past 64 bits. Counting digits first (one pass in C) spares the
# regular expression's slower scan on the usual text-heavy line.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_DIGITS = b"0123456789"


def may_hold_long_int(data: bytes) -> bool:
    # Most stored values are short ({}, [0, 1], an answer): no count needed below 19 bytes.
    return (
        len(data) >= 19
        and len(data) - len(data.translate(None, _DIGITS)) >= 19
        and _LONG_DIGITS.search(data) is not None
    )


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
