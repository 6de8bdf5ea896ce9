"""Prompts in and out of items: the prompt an item holds (seeds, and dedup's reference set), and the
payload a released prompt takes in the target project's task type."""

from __future__ import annotations

from typing import Any

from quorum.errors import QuorumError
from quorum.task_types import registry


def item_prompt(payload: dict[str, Any]) -> str | None:
    """The prompt of an item: its ``prompt`` or ``text``, else its last user turn's text."""
    for key in ("prompt", "text", "problem"):
        if isinstance(payload.get(key), str) and payload[key].strip():
            return str(payload[key]).strip()
    messages = payload.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str) and content.strip():
                    return content.strip()
                if isinstance(content, list):
                    parts = [
                        p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
                    ]
                    if "".join(parts).strip():
                        return " ".join(parts).strip()
    return None


def target_payload(task_type: str, config: dict[str, Any], prompt: str) -> dict[str, Any] | None:
    """The first payload shape the target's task type accepts for a bare prompt; None if it takes none
    (e.g. a steps project, whose items are solutions)."""
    kind = registry.get(task_type)
    parsed = kind.parse_config(config)
    for payload in (
        {"messages": [{"role": "user", "content": prompt}]},
        {"text": prompt},
        {"prompt": prompt},
    ):
        try:
            kind.parse_payload(payload, parsed)
        except QuorumError:
            continue
        return payload
    return None
