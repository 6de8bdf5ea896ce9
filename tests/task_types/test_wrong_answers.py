"""``TaskType.wrong_answer``: a probe's known-wrong suggestion is a valid answer that its gold marks wrong;
a type without the hook never probes."""

from __future__ import annotations

import random

import pytest

from quorum.task_types import registry

PROBING = ("classification", "pairwise", "rating", "ranking")


@pytest.mark.parametrize("name", PROBING)
def test_a_wrong_answer_is_valid_and_scored_wrong(name: str) -> None:
    kind = registry.get(name)
    example = kind.example()
    config = kind.parse_config(example["config"])
    payload = kind.parse_payload(example["item"]["payload"], config)
    gold = example["answer"]
    rng = random.Random(0)
    for _ in range(20):
        wrong = kind.wrong_answer(gold, config, rng)
        assert wrong is not None
        kind.parse_answer(wrong, payload, config)  # raises if the probe could not be a real answer
        assert kind.gold_score(wrong, gold, config) < 1.0


def test_multi_label_and_ties_have_wrong_answers_too() -> None:
    classification = registry.get("classification")
    multi = classification.parse_config({"labels": ["a", "b", "c"], "multi": True})
    for seed in range(10):
        wrong = classification.wrong_answer({"labels": ["a"]}, multi, random.Random(seed))
        assert wrong is not None and wrong["labels"] and set(wrong["labels"]) != {"a"}
    pairwise = registry.get("pairwise")
    config = pairwise.parse_config({"allow_tie": True})
    assert pairwise.wrong_answer({"choice": "tie"}, config, random.Random(1))["choice"] in ("A", "B")  # type: ignore[index]


def test_a_type_without_the_hook_never_probes() -> None:
    kind = registry.get("sft")
    example = kind.example()
    assert (
        kind.wrong_answer(example["answer"], kind.parse_config(example["config"]), random.Random(0)) is None
    )
