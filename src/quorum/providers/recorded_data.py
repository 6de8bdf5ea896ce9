"""The recorded responses the demo's model answers from: Anthropic's hh-rlhf (harmless-base test split)
from the shared data folder, read where it lies (never copied into the project). Each row gives a
conversation and two replies to its last user turn, the preferred (``chosen``) and the other
(``rejected``). Without the file, the task types' own demo comparisons stand in."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from quorum.task_types import registry as task_types

HH_RLHF = Path("shared/data/hh-rlhf/harmless-base/test.jsonl.gz")
_TURN = re.compile(r"\n\n(Human|Assistant): ")
_ROLES = {"Human": "user", "Assistant": "assistant"}


@dataclass(frozen=True)
class Recorded:
    messages: tuple[dict[str, str], ...]
    """The conversation up to and including its last user turn."""
    chosen: str
    rejected: str


def find_data(configured: Path | None = None) -> Path | None:
    """``configured`` (QUORUM_RECORDED_DATA) if set, else ``shared/data/…`` beside the repository or any
    folder above it (a worktree sits deeper than the checkout the shared folder lies beside)."""
    if configured is not None:
        return configured if configured.is_file() else None
    repo = Path(__file__).resolve().parents[3]
    for folder in (repo, *repo.parents):
        if (folder / HH_RLHF).is_file():
            return folder / HH_RLHF
    return None


def conversation_key(messages: Any) -> str:
    """What a request is matched on: the user and assistant turns, whitespace collapsed (a generator's
    system prompt does not change which recorded conversation it is)."""
    turns = []
    for m in messages if isinstance(messages, list) else []:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant"):
            turns.append(f"{m['role']}: {' '.join(str(m.get('content', '')).split())}")
    return "\n".join(turns)


def _turns(text: str) -> list[dict[str, str]]:
    parts = _TURN.split(text)
    # parts: [before the first turn, role, content, role, content, ...]
    return [
        {"role": _ROLES[role], "content": content.strip()}
        for role, content in zip(parts[1::2], parts[2::2], strict=True)
    ]


def _parse(row: dict[str, Any]) -> Recorded | None:
    chosen, rejected = _turns(str(row.get("chosen", ""))), _turns(str(row.get("rejected", "")))
    if (
        len(chosen) < 2
        or chosen[-1]["role"] != "assistant"
        or not rejected
        or rejected[-1]["role"] != "assistant"
    ):
        return None
    prompt = chosen[:-1]
    if prompt != rejected[:-1] or prompt[-1]["role"] != "user":
        return None
    return Recorded(tuple(prompt), chosen[-1]["content"], rejected[-1]["content"])


def _from_file(path: Path) -> Iterator[Recorded]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip() and (recorded := _parse(json.loads(line))) is not None:
                yield recorded


def _from_task_types() -> Iterator[Recorded]:
    for task_type in task_types.all_types():
        for item in task_type.demo_items():
            payload = item.get("payload", {})
            candidates = payload.get("candidates") or []
            if payload.get("messages") and len(candidates) >= 2:
                yield Recorded(tuple(payload["messages"]), candidates[0]["content"], candidates[1]["content"])


@lru_cache(maxsize=4)
def load(path: Path | None) -> tuple[Recorded, ...]:
    """Every recorded conversation: from ``path`` (see ``find_data``), else the task types' demo items."""
    return tuple(_from_file(path)) if path is not None else tuple(_from_task_types())


def load_recorded_prompts(limit: int, configured: Path | None = None) -> list[list[dict[str, str]]]:
    """The first ``limit`` recorded prompts as chat messages (ending in a user turn), for demo items that
    carry only ``messages`` and get their candidates generated."""
    return [list(r.messages) for r in load(find_data(configured))[: max(limit, 0)]]
