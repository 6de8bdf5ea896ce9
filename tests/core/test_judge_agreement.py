"""The judge-agreement estimator recovers a planted judge accuracy (percent agreement and kappa inside
their intervals) and finds kappa near 0 for a judge that answers at random; routing rules."""

from __future__ import annotations

import random

from quorum.core import judge_agreement as ja
from quorum.core import judge_routing as rules

LABELS = ("a", "b", "c")


def _crowd(n: int, accuracy: float, seed: int) -> tuple[dict[int, str], dict[int, list[str]]]:
    """A judge right with probability ``accuracy`` (else another label at random), and two people who are
    always right, on ``n`` items with uniformly drawn true labels."""
    rng = random.Random(seed)
    judge, people = {}, {}
    for item in range(n):
        truth = rng.choice(LABELS)
        judge[item] = truth if rng.random() < accuracy else rng.choice([x for x in LABELS if x != truth])
        people[item] = [truth, truth]
    return judge, people


def test_a_planted_judge_accuracy_is_recovered_within_its_interval() -> None:
    judge, people = _crowd(3000, 0.7, seed=1)
    found = ja.agreement(ja.judge_pairs(judge, people), n_boot=400)
    assert found is not None and found.n_items == 3000 and found.n_pairs == 6000
    assert found.percent.ci_low <= 0.7 <= found.percent.ci_high
    planted_kappa = (0.7 - 1 / 3) / (1 - 1 / 3)
    assert found.kappa.ci_low <= planted_kappa <= found.kappa.ci_high
    # The item bootstrap is not fooled by the two identical people per item: the interval is as wide as
    # for 3000 independent pairs, not 6000.
    assert found.percent.ci_high - found.percent.ci_low > 2 * 1.96 * (0.21 / 3000) ** 0.5 * 0.8


def test_a_random_judge_has_kappa_near_zero() -> None:
    rng = random.Random(2)
    judge, people = _crowd(3000, 1.0, seed=3)
    noise = {item: rng.choice(LABELS) for item in judge}
    found = ja.agreement(ja.judge_pairs(noise, people), n_boot=400)
    assert found is not None
    assert found.kappa.ci_low <= 0.0 <= found.kappa.ci_high
    assert abs(found.kappa.value) < 0.05
    assert found.percent.ci_low <= 1 / 3 <= found.percent.ci_high


def test_human_pairs_take_both_orders_and_a_perfect_crowd_agrees_fully() -> None:
    pairs = ja.human_pairs({1: ["a", "a", "b"], 2: ["c"]})
    assert len(pairs) == 6 and {p.item for p in pairs} == {1}
    found = ja.agreement(ja.human_pairs({i: ["a" if i % 2 else "b"] * 2 for i in range(50)}), n_boot=50)
    assert found is not None and found.kappa.value == 1.0 and found.percent.value == 1.0
    assert ja.agreement([]) is None
    shape = ja.as_dict(found)
    assert shape is not None and set(shape["kappa"]) == {"value", "low", "high"}  # type: ignore[arg-type]


def test_routing_rules() -> None:
    policy = rules.Policy(min_confidence=0.8, lowered_target=1)
    assert rules.confident(policy, True, 0.9) and rules.confident(policy, None, 0.8)
    assert not rules.confident(policy, False, 0.99) and not rules.confident(policy, True, None)
    assert not rules.confident(policy, True, 0.5)
    assert rules.lowered(policy, target=3, judgments=0) == 1
    assert rules.lowered(policy, target=1, judgments=0) is None
    assert rules.lowered(policy, target=3, judgments=1) is None
    assert rules.raised(1, None) == 2 and rules.raised(2, 3) == 3 and rules.raised(3, 3) == 3
