"""Which text of an item each part names, and its content hash: the one owner of "the prompt / the
response of an item", so the store's vectors are the ones the reward model reads. ``prompt`` is the
conversation (or a ``prompt``/``text``/``problem`` field), ``candidate:N`` the N-th candidate response; a
``steps`` item's solution (its steps, in order) is its one response, ``candidate:0``, as the task type's
``candidates`` hook says."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from quorum.errors import Invalid, field_error
from quorum.task_types.chat import text_of

PROMPT = "prompt"
CANDIDATE = re.compile(r"candidate:(0|[1-9][0-9]{0,2})")
PART_RULE = "'prompt' or 'candidate:N' (N from 0)"


def check_parts(parts: Sequence[str], *, at: str | None = None) -> list[str]:
    """``parts`` without repeats, or ``Invalid`` naming each unknown one."""
    bad = [p for p in parts if p != PROMPT and not CANDIDATE.fullmatch(p)]
    if bad:
        raise Invalid(
            f"unknown embedding part {bad[0]!r}",
            [field_error("parts", f"{p!r}: {PART_RULE}", at=at) for p in bad],
        )
    return list(dict.fromkeys(parts))


def text(payload: dict[str, Any], part: str) -> str | None:
    """The text ``part`` names in ``payload``; ``None`` when the item has no such text (no second
    candidate, no conversation)."""
    if part == PROMPT:
        messages = payload.get("messages")
        if isinstance(messages, list) and messages:
            return "\n\n".join(
                f"{m.get('role', 'user')}: {text_of(m)}" for m in messages if isinstance(m, dict)
            )
        for key in ("prompt", "text", "problem"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
        return None
    found = CANDIDATE.fullmatch(part)
    if found is None:
        return None
    candidates = payload.get("candidates")
    index = int(found.group(1))
    if candidates is None and index == 0 and (solution := _solution(payload)) is not None:
        return solution
    if not isinstance(candidates, list) or index >= len(candidates):
        return None
    candidate = candidates[index]
    content = candidate.get("content") if isinstance(candidate, dict) else None
    return content if isinstance(content, str) else None


def _solution(payload: dict[str, Any]) -> str | None:
    steps = payload.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        return None
    return "\n\n".join(steps)


def parts_of(payload: dict[str, Any]) -> list[str]:
    """Every part an item has: its prompt and each candidate (a solution's steps count as one)."""
    candidates = payload.get("candidates")
    if isinstance(candidates, list):
        count = len(candidates)
    else:
        count = 1 if candidates is None and _solution(payload) is not None else 0
    found = [PROMPT] if text(payload, PROMPT) is not None else []
    return found + [f"candidate:{i}" for i in range(count)]


def content_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
