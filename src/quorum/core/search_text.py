"""The text an item is found by in the items list: every string in its payload (prompts, messages,
candidates, steps, …), casefolded. Casefolded here, in Python, so that one plain ``LIKE`` on the stored
text finds the same items on SQLite and PostgreSQL whatever the letters (SQLite's own case folding knows
ASCII only)."""

from __future__ import annotations

from typing import Any

# A LIKE pattern's own characters, escaped with this character (``ESCAPE``) when they are searched for.
ESCAPE = "\\"


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def search_text(payload: Any) -> str:
    out: list[str] = []
    _strings(payload, out)
    return "\n".join(out).casefold()


def like_pattern(query: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern matching text that contains ``query`` (casefolded)."""
    folded = query.strip().casefold()
    for special in (ESCAPE, "%", "_"):
        folded = folded.replace(special, ESCAPE + special)
    return f"%{folded}%"
