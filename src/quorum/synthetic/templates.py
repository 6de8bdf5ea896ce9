"""The prompts sent to the generator, and the parsing of what it answers. The version string is recorded
on every batch (and every released item's provenance): a change of wording here is a new version.

- Self-Instruct (Wang et al. 2022): show k seed tasks, ask for n new, different tasks as a numbered list.
- Evol-Instruct (Xu et al. 2023): rewrite one prompt by one operation (deepen, broaden, concretise);
  applying it again to the result is the next evolution depth."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

TEMPLATE_VERSION = "synth-2026-12-01.1"
METHODS = ("self_instruct", "evol")
MAX_PROMPT_CHARS = 4000
# Rejection reasons of a model answer that held no prompt (as opposed to a prompt dedup rejected).
UNPARSED_REASONS = ("empty", "refusal", "no_numbered_tasks", "too_long")

SELF_INSTRUCT = """You are helping to build a diverse set of tasks for training an AI assistant.
Here are {k} example tasks:

{examples}

Come up with {n} new tasks. Each must be different from the examples and from each other, self-contained
(answerable without extra context) and written as a user would write it. Answer with a numbered list only:
one task per line, "1. ..." to "{n}. ...", nothing else."""

EVOL_INTRO = "Rewrite the prompt below into a new prompt for an AI assistant. {instruction}"
EVOL_TAIL = """The new prompt must stay reasonable, answerable by a human, and self-contained. Answer with the
new prompt only, no preamble.

#Prompt#:
{prompt}"""

EVOL_OPERATIONS = {
    "deepen": "Make it require deeper reasoning: add a constraint or requirement, or ask for multiple steps.",
    "broaden": "Write a new prompt in the same domain but on a rarer, different topic of the same kind.",
    "concretise": "Replace general concepts with more specific ones, with concrete names, numbers or details.",
}

_NUMBERED = re.compile(r"^\s*(?:task\s*)?(\d{1,3})\s*[.):]\s*(.+?)\s*$", re.IGNORECASE)
_PREAMBLE = re.compile(r"^\s*(?:#?\s*(?:new|rewritten|evolved)\s+prompt\s*#?\s*:)\s*", re.IGNORECASE)
_REFUSAL = re.compile(r"^\s*(?:i'?m sorry|i cannot|i can't|as an ai)", re.IGNORECASE)


class Unparsed(Exception):
    """A model answer holding no usable prompt; ``reason`` is recorded as the rejection's reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def self_instruct_messages(seeds: Sequence[str], n: int) -> list[dict[str, Any]]:
    examples = "\n".join(f"{i + 1}. {' '.join(seed.split())}" for i, seed in enumerate(seeds))
    return [{"role": "user", "content": SELF_INSTRUCT.format(k=len(seeds), examples=examples, n=n)}]


def evol_messages(prompt: str, operation: str) -> list[dict[str, Any]]:
    intro = EVOL_INTRO.format(instruction=EVOL_OPERATIONS[operation])
    return [{"role": "user", "content": f"{intro}\n{EVOL_TAIL.format(prompt=prompt)}"}]


def parse_list(text: str) -> list[str]:
    """The tasks of a numbered list; raises ``Unparsed`` when there are none."""
    _refuse_empty_or_refusal(text)
    found = [m.group(2) for line in text.splitlines() if (m := _NUMBERED.match(line))]
    found = [t for t in found if t and len(t) <= MAX_PROMPT_CHARS]
    if not found:
        raise Unparsed("no_numbered_tasks")
    return found


def parse_single(text: str) -> str:
    """The rewritten prompt of an evolution; raises ``Unparsed`` when there is none."""
    _refuse_empty_or_refusal(text)
    prompt = _PREAMBLE.sub("", text.strip()).strip()
    if not prompt:
        raise Unparsed("empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise Unparsed("too_long")
    return prompt


def _refuse_empty_or_refusal(text: str) -> None:
    if not text.strip():
        raise Unparsed("empty")
    if _REFUSAL.match(text):
        raise Unparsed("refusal")
