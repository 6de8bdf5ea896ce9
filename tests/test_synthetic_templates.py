"""What the generator answers, parsed into prompts or a rejection reason."""

from __future__ import annotations

import pytest

from quorum.synthetic import templates
from quorum.synthetic.templates import Unparsed


def test_numbered_lists_parse_and_anything_else_names_its_reason() -> None:
    text = "Here you go:\n1. Name a bird\n2) Explain rain\nTask 3: Plan a trip\n\nnot a task"
    assert templates.parse_list(text) == ["Name a bird", "Explain rain", "Plan a trip"]
    for answer, reason in (
        ("", "empty"),
        ("I'm sorry, I cannot do that", "refusal"),
        ("just prose", "no_numbered_tasks"),
    ):
        with pytest.raises(Unparsed) as caught:
            templates.parse_list(answer)
        assert caught.value.reason == reason
    assert templates.parse_single("#Rewritten Prompt#: Explain rain to a child") == "Explain rain to a child"
    with pytest.raises(Unparsed) as long:
        templates.parse_single("x" * (templates.MAX_PROMPT_CHARS + 1))
    assert long.value.reason == "too_long"


def test_the_messages_carry_the_seeds_and_the_operation() -> None:
    asked = templates.self_instruct_messages(["Name a bird", "Explain  rain"], 4)[0]["content"]
    assert "1. Name a bird\n2. Explain rain" in asked and "Come up with 4 new tasks" in asked
    evolved = templates.evol_messages("Name a bird", "deepen")[0]["content"]
    assert templates.EVOL_OPERATIONS["deepen"] in evolved and evolved.endswith("Name a bird")
