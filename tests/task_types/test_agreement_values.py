"""The agreement hook: each task type's answer as questions, and each question's level."""

from __future__ import annotations

from typing import Any

import pytest

from quorum.task_types import registry


def values(name: str, answer: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    kind = registry.get(name)
    return kind.agreement_values(answer, kind.parse_config(config))


def level(name: str, question: str, config: dict[str, Any]) -> str:
    kind = registry.get(name)
    return kind.question_level(question, kind.parse_config(config))


def test_classification_single_and_multi() -> None:
    single = {"labels": ["a", "b"], "allow_other": True}
    assert values("classification", {"labels": ["b"]}, single) == {"label": "b"}
    assert values("classification", {"labels": [], "other": "x"}, single) == {"label": "other"}
    multi = {"labels": ["a", "b", "c"], "multi": True}
    assert values("classification", {"labels": ["a", "c"]}, multi) == {
        "label.a": True,
        "label.b": False,
        "label.c": True,
    }
    assert level("classification", "label.a", multi) == "nominal"


def test_pairwise_choice_and_axes() -> None:
    answer = {"choice": "A", "strength": "better", "axes": {"helpfulness": "B"}}
    assert values("pairwise", answer, {"axes": ["helpfulness"]}) == {"choice": "A", "axis.helpfulness": "B"}


def test_rating_levels_per_question() -> None:
    config = {
        "criteria": [{"name": "accuracy"}, {"name": "safe", "scale": "yes_no"}],
        "flags": ["refusal"],
        "overall": {"min": 1, "max": 7},
    }
    answer = {"scores": {"accuracy": 4, "safe": "yes"}, "overall": 6, "flags": ["refusal"]}
    assert values("rating", answer, config) == {
        "accuracy": 4,
        "safe": "yes",
        "overall": 6,
        "flag.refusal": True,
    }
    assert [level("rating", q, config) for q in ("accuracy", "safe", "overall", "flag.refusal")] == [
        "ordinal",
        "nominal",
        "ordinal",
        "nominal",
    ]


@pytest.mark.parametrize(
    ("name", "answer", "expected", "question_level"),
    [
        ("steps", {"labels": [1, 0, -1]}, {"step.0": 1, "step.1": 0, "step.2": -1}, "ordinal"),
        ("ranking", {"order": [[2], [0, 1]]}, {"rank.0": 2.5, "rank.1": 2.5, "rank.2": 1.0}, "ordinal"),
        ("critique", {"no_issues": True}, {"no_issues": True}, "nominal"),
        ("sft", {"reply": "hi", "from_draft": True}, {"from_draft": True}, "nominal"),
    ],
)
def test_other_types(
    name: str, answer: dict[str, Any], expected: dict[str, Any], question_level: str
) -> None:
    config = registry.get(name).example()["config"]
    assert values(name, answer, config) == expected
    assert level(name, next(iter(expected)), config) == question_level


def test_every_type_gives_hashable_values_for_its_example() -> None:
    for kind in registry.all_types():
        example = kind.example()
        config = kind.parse_config(example["config"])
        for answer in (example["answer"], kind.contrasting_answer()):
            found = kind.agreement_values(answer, config)
            assert found, kind.name
            for question, value in found.items():
                hash(value)
                assert kind.question_level(question, config) in ("nominal", "ordinal", "interval")
