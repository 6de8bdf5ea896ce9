"""The critic's prompt, versioned: a proposal records the version it was written with, so a changed
template never passes for the old one in a report or an export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quorum.core.critique_comments import comments_schema
from quorum.task_types.base import CritiquedResponse

TEMPLATE_VERSION = "critic-v1"
DEFAULT_SEVERITIES = ("minor", "major", "critical")

SYSTEM = (
    "You review an AI assistant's response for errors: factual mistakes, bugs, unsafe advice, "
    "instructions not followed. For each problem, quote the exact span of the response it is in "
    "(copied character for character, as short as identifies it), give its severity, and say in one "
    "or two sentences what is wrong. List only real problems; an empty list is a fine answer. "
    'Reply with JSON only: {"comments": [{"quote": ..., "severity": ..., "comment": ...}]}.'
)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p)
    return ""


def messages(target: CritiquedResponse, severities: Sequence[str]) -> list[dict[str, Any]]:
    conversation = "\n\n".join(
        f"[{m.get('role', 'user')}]\n{_text(m.get('content'))}"
        for m in target.messages
        if isinstance(m, dict)
    )
    user = (
        f"Severities, least to most severe: {', '.join(severities)}.\n\n"
        f"<conversation>\n{conversation}\n</conversation>\n\n"
        f"<response>\n{target.response}\n</response>"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def call_params(severities: Sequence[str], extra: dict[str, Any]) -> dict[str, Any]:
    """Structured output: the comments' JSON schema as the reply format (servers that ignore it are still
    checked comment by comment)."""
    return {
        **extra,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "critique", "strict": True, "schema": comments_schema(severities)},
        },
    }
