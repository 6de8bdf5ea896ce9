"""The pairing rules, without a database: which samples are compared and in which positions."""

from __future__ import annotations

from itertools import combinations

import pytest

from quorum.generation.pairing import Sample, comparisons
from quorum.generation.spec import call_of, params_hash

SAMPLES = [Sample(i, model, s) for i, (model, s) in enumerate((m, s) for m in "abc" for s in range(2))]


def test_all_pairs_compares_every_pair_once() -> None:
    groups = comparisons(SAMPLES, "all_pairs", (2, 2), seed=1)
    assert sorted(tuple(sorted(g.id for g in group)) for group in groups) == list(combinations(range(6), 2))


def test_model_vs_model_gives_one_pair_per_pair_of_models() -> None:
    groups = comparisons(SAMPLES, "model_vs_model", (2, 2), seed=1)
    assert sorted(tuple(sorted(g.model for g in group)) for group in groups) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]


def test_random_pairs_and_k_sets_are_reproducible_subsets() -> None:
    one = comparisons(SAMPLES, "random_pairs", (2, 2), seed=9)
    assert len(one) == 1 and len(one[0]) == 2 and one == comparisons(SAMPLES, "random_pairs", (2, 2), seed=9)
    kset = comparisons(SAMPLES, "kset", (4, 4), seed=3)
    assert len(kset) == 1 and len({s.id for s in kset[0]}) == 4
    assert comparisons(SAMPLES[:1], "all_pairs", (2, 2), seed=0) == []  # too few builds nothing


def test_positions_are_shuffled_without_favouring_a_model() -> None:
    pair = [Sample(1, "a", 0), Sample(2, "b", 0)]
    first = [comparisons(pair, "all_pairs", (2, 2), seed=s)[0][0].model for s in range(2000)]
    share = first.count("a") / len(first)
    assert 0.45 < share < 0.55  # a fair shuffle; a fixed order would give 0 or 1


def test_call_parameters_and_their_hash() -> None:
    messages, api = call_of([{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}],
                            {"temperature": 0.5, "system_prompt": "be brief"}, seed=12)  # fmt: skip
    assert messages == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert api == {"temperature": 0.5, "seed": 12}
    assert params_hash({"a": 1, "b": 2.0}) == params_hash({"b": 2.0, "a": 1}) != params_hash({"a": 2})


def test_an_unknown_pairing_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pairing"):
        comparisons(SAMPLES, "round_robin", (2, 2), seed=0)
