"""A critic model's comments and an item's planted flaws, checked against the responses they speak of.

A comment is ``{quote, severity, comment}`` where ``quote`` is an exact span of the response (the shape of
the ``critique`` task type's issues, less the offsets the model cannot count: they are found here, at the
quote's first occurrence). A comment that fails a rule is dropped with its reason, never shown; a reply that
is not the JSON asked for drops everything. Planted flaws (``metadata.inserted_flaws``) are
``{candidate?, quote, ...}`` spans of one candidate's response, checked at import."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_COMMENTS = 50
MAX_COMMENT = 4000
MAX_FLAWS = 100
# The metadata key of an item's planted flaws: kept for reports and exports, never shown to annotators.
FLAWS_KEY = "inserted_flaws"


def comments_schema(severities: Sequence[str]) -> dict[str, Any]:
    """The JSON schema the critic's reply must follow (sent as the structured-output format)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["comments"],
        "properties": {
            "comments": {
                "type": "array",
                "maxItems": MAX_COMMENTS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["quote", "severity", "comment"],
                    "properties": {
                        "quote": {"type": "string", "minLength": 1},
                        "severity": {"type": "string", "enum": list(severities)},
                        "comment": {"type": "string", "minLength": 1, "maxLength": MAX_COMMENT},
                    },
                },
            }
        },
    }


def parse_reply(
    text: str, response: str, severities: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """(valid comments with their offsets, dropped comments with a reason, an error for the whole reply)."""
    body = _strip_fence(text)
    try:
        data = json.loads(body)
    except ValueError as exc:
        return [], [], f"the reply is not JSON: {exc}"
    raw = data.get("comments") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return [], [], "the reply has no 'comments' list"
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for i, entry in enumerate(raw):
        reason = _problem(entry, response, severities) if i < MAX_COMMENTS else "too many comments"
        if reason is not None:
            dropped.append({"comment": entry, "reason": reason})
            continue
        quote = entry["quote"]
        start = response.index(quote)
        kept.append(
            {
                "quote": quote,
                "start": start,
                "end": start + len(quote),
                "severity": entry["severity"],
                "comment": entry["comment"].strip(),
            }
        )
    return kept, dropped, None


def _strip_fence(text: str) -> str:
    # Models asked for JSON often wrap it in a markdown fence anyway.
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    return body.strip()


def _problem(entry: Any, response: str, severities: Sequence[str]) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    extra = sorted(set(entry) - {"quote", "severity", "comment"})
    if extra:
        return f"unknown fields: {', '.join(map(str, extra))}"
    quote, severity, comment = entry.get("quote"), entry.get("severity"), entry.get("comment")
    if not isinstance(quote, str) or not quote:
        return "quote: a non-empty string is required"
    if quote not in response:
        return "quote: not an exact span of the response"
    if severity not in severities:
        return f"severity: must be one of {', '.join(severities)}"
    if not isinstance(comment, str) or not comment.strip():
        return "comment: say what is wrong"
    if len(comment) > MAX_COMMENT:
        return f"comment: at most {MAX_COMMENT} characters"
    return None


def annotator_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """An item's metadata as an annotator may see it: planted flaws removed."""
    if not metadata:
        return {}
    return {k: v for k, v in metadata.items() if k != FLAWS_KEY} if FLAWS_KEY in metadata else metadata


def flaw_problems(flaws: Any, responses: Sequence[str]) -> list[tuple[str, str]]:
    """(field under ``metadata.inserted_flaws``, message) for each rule a planted-flaw list breaks."""
    if not isinstance(flaws, list):
        return [("", "must be a list of {candidate?, quote} spans")]
    if not flaws:
        return []
    if len(flaws) > MAX_FLAWS:
        return [("", f"at most {MAX_FLAWS} flaws")]
    if not responses:
        return [("", "this item has no response to plant a flaw in")]
    problems: list[tuple[str, str]] = []
    for i, flaw in enumerate(flaws):
        if not isinstance(flaw, dict):
            problems.append((f".{i}", "must be an object with a quote"))
            continue
        candidate = flaw.get("candidate", 0)
        quote = flaw.get("quote")
        if isinstance(candidate, bool) or not isinstance(candidate, int):
            problems.append((f".{i}.candidate", "must be a candidate index (an integer)"))
        elif not 0 <= candidate < len(responses):
            problems.append((f".{i}.candidate", f"must be 0..{len(responses) - 1}"))
        elif not isinstance(quote, str) or not quote:
            problems.append((f".{i}.quote", "a non-empty string is required"))
        elif quote not in responses[candidate]:
            problems.append((f".{i}.quote", f"not an exact span of candidate {candidate}'s response"))
    return problems


def flaw_spans(flaws: Any, responses: Sequence[str]) -> list[tuple[int, int, int]]:
    """(candidate, start, end) of each valid planted flaw (its quote's first occurrence)."""
    spans: list[tuple[int, int, int]] = []
    if not isinstance(flaws, list):
        return spans
    for flaw in flaws:
        if not isinstance(flaw, dict):
            continue
        candidate, quote = flaw.get("candidate", 0), flaw.get("quote")
        if not isinstance(candidate, int) or not 0 <= candidate < len(responses):
            continue
        if isinstance(quote, str) and quote and (start := responses[candidate].find(quote)) >= 0:
            spans.append((candidate, start, start + len(quote)))
    return spans


def overlaps(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Two (candidate, start, end) spans of the same candidate share at least one character."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]
