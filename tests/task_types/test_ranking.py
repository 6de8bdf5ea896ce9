"""Ranking: validation of orders and flags, mean-rank consensus with Kendall tau-b confidence, exports."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from scipy.stats import kendalltau

from quorum.errors import Invalid
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.ranking import TASK_TYPE as RANKING
from quorum.task_types.ranking import fractional_ranks, kendall_tau_b

EXAMPLE = RANKING.example()


def _config(**changes: Any) -> Any:
    return RANKING.parse_config({**EXAMPLE["config"], **changes})


def _payload(config: Any = None) -> Any:
    return RANKING.parse_payload(EXAMPLE["item"]["payload"], config or _config())


def _fields(raw: dict[str, Any], config: Any = None) -> list[str]:
    config = config or _config()
    with pytest.raises(Invalid) as exc:
        RANKING.parse_answer(raw, _payload(config), config)
    return [d["field"] for d in exc.value.details]


def _stored(raw: dict[str, Any]) -> dict[str, Any]:
    config = _config()
    return RANKING.parse_answer(raw, _payload(config), config).model_dump(mode="json", exclude_none=True)


def test_valid_answers_are_normalised() -> None:
    stored = _stored({"order": [[2, 0], [1]], "flags": {1: ["unsafe"]}})
    assert stored == {"order": [[0, 2], [1]], "flags": {"1": ["unsafe"]}}


def test_missing_candidate_is_named() -> None:
    config = _config()
    with pytest.raises(Invalid) as exc:
        RANKING.parse_answer({"order": [[0], [2]]}, _payload(config), config)
    assert exc.value.details[0]["field"] == "answer.order"
    assert "candidate 1 is missing" in exc.value.message


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"order": [[0], [1], [2], [0]]}, "answer.order.3"),
        ({"order": [[0], [1], [3]]}, "answer.order.2"),
        ({"order": [[0], [1], [-1, 2]]}, "answer.order.2"),
        ({"order": []}, "answer.order"),
        ({"order": [["a"], [1], [2]]}, "answer.order.0.0"),
        ({"order": [[0], [1], [2]], "flags": {"1": ["rude"]}}, "answer.flags.1"),
        ({"order": [[0], [1], [2]], "flags": {"9": ["unsafe"]}}, "answer.flags.9"),
        ({"order": [[0], [1], [2]], "flags": {"x": ["unsafe"]}}, "answer.flags.x"),
        ({"order": [[0], [1], [2]], "flags": {"1": ["unsafe", "unsafe"]}}, "answer.flags.1"),
    ],
)
def test_mistakes_name_the_field(raw: dict[str, Any], field: str) -> None:
    assert field in _fields(raw)


def test_ties_only_when_allowed() -> None:
    _stored({"order": [[0, 1], [2]]})
    assert "answer.order.0" in _fields({"order": [[0, 1], [2]]}, _config(allow_ties=False))


def test_payload_rules() -> None:
    config = _config()
    base = EXAMPLE["item"]["payload"]
    too_many = {**base, "candidates": [{"content": f"c{i}"} for i in range(10)]}
    one = {**base, "candidates": [{"content": "only"}]}
    ends_with_reply = {**base, "messages": [*base["messages"], {"role": "assistant", "content": "hi"}]}
    for bad in (too_many, one, ends_with_reply):
        with pytest.raises(Invalid):
            RANKING.parse_payload(bad, config)


def test_public_payload_hides_models() -> None:
    public = json.dumps(RANKING.public_payload(EXAMPLE["item"]["payload"]))
    assert "ranker-" not in public and "params" not in public


def test_tau_b_matches_scipy_with_ties() -> None:
    orders = [
        [[0], [1], [2], [3]],
        [[3], [2], [1], [0]],
        [[0, 1], [2, 3]],
        [[1], [0, 3], [2]],
        [[2, 3, 0], [1]],
    ]
    for a, b in itertools.product(orders, repeat=2):
        x, y = fractional_ranks(a, 4), fractional_ranks(b, 4)
        assert kendall_tau_b(x, y) == pytest.approx(kendalltau(x, y).statistic)
    everything_tied = fractional_ranks([[0, 1, 2]], 3)
    assert kendall_tau_b(everything_tied, everything_tied) == 1.0


def test_consensus_identical_and_split() -> None:
    config = _config()
    a = _stored(EXAMPLE["answer"])
    same = RANKING.consensus([a, a, a], config)
    assert same.answer is not None
    assert same.answer["order"] == [[0], [1], [2]]
    assert same.answer["flags"] == {"2": ["off-topic"]}
    assert same.confidence == pytest.approx(1.0)
    assert same.method == "mean-rank"
    reverse = _stored({"order": [[2], [1], [0]]})
    split = RANKING.consensus([a, reverse], config)
    assert split.answer is not None
    # Every mean rank is 2: an even split is one tie, and no flag has a strict majority.
    assert split.answer["order"] == [[0, 1, 2]]
    assert split.answer["flags"] == {}
    assert split.confidence < 1.0
    mostly = RANKING.consensus([a, a, _stored({"order": [[1], [0], [2]]})], config)
    assert mostly.answer is not None and mostly.answer["order"] == [[0], [1], [2]]
    assert 0.5 < mostly.confidence < 1.0
    assert RANKING.consensus([], config).answer is None


def test_consensus_carries_bradley_terry_strengths() -> None:
    from quorum.core.aggregation.bradley_terry import bradley_terry

    config = _config()
    a = _stored({"order": [[0], [1], [2]]})
    b = _stored({"order": [[1], [0], [2]]})
    found = RANKING.consensus([a, a, b], config)
    assert found.answer is not None
    # The pairs the three answers make, written out: (0,1) won by 0 twice and by 1 once; 0 and 1 beat 2.
    left, right = [0, 0, 1] * 3, [1, 2, 2] * 3
    outcome = [1.0, 1.0, 1.0] * 2 + [0.0, 1.0, 1.0]
    expected = bradley_terry(left, right, outcome, 3, n_boot=0).scores
    assert found.answer["bt_scores"] == pytest.approx(list(expected), abs=1e-6)
    scores = found.answer["bt_scores"]
    assert scores[0] > scores[1] > scores[2] and sum(scores) == pytest.approx(0.0, abs=1e-5)
    # A shared tier is a tie, and an even split leaves every candidate equally strong.
    tied = RANKING.consensus([_stored({"order": [[0, 1], [2]]})], config)
    assert tied.answer is not None and tied.answer["bt_scores"][0] == tied.answer["bt_scores"][1]
    split = RANKING.consensus([a, _stored({"order": [[2], [1], [0]]})], config)
    assert split.answer is not None
    assert split.answer["bt_scores"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)


def _item(answers: list[dict[str, Any]]) -> ExportItem:
    config = _config()
    payload = _payload(config)
    judgments = [JudgmentRecord(f"a{i}", a, 1000, 1, datetime.now(UTC)) for i, a in enumerate(answers)]
    return ExportItem(
        "rank-1",
        payload.model_dump(mode="json", exclude_none=True),
        {},
        judgments,
        RANKING.candidates(payload),
    )


def test_listwise_and_pairs_exports() -> None:
    config = _config()
    answer = _stored({"order": [[1], [0, 2]], "flags": {"1": ["unsafe"]}})
    item = _item([answer])
    consensus = RANKING.consensus([answer], config)
    writers = RANKING.exports()
    (row,) = list(writers["listwise"](item, config, consensus))
    assert row["prompt"] == EXAMPLE["item"]["payload"]["messages"]
    assert [c["model"] for c in row["completions"]] == ["ranker-small", "ranker-large", "ranker-tiny"]
    assert [c["rank"] for c in row["completions"]] == [1, 2, 2]
    assert row["completions"][0]["flags"] == ["unsafe"]
    assert row["ranks"] == [2, 1, 2]
    pairs = list(writers["pairs"](item, config, consensus))
    # 3 candidates give 3 pairs; the tied pair (0, 2) is left out.
    assert len(pairs) == 2
    assert {(p["chosen_model"], p["rejected_model"]) for p in pairs} == {
        ("ranker-small", "ranker-large"),
        ("ranker-small", "ranker-tiny"),
    }
    assert all(p["margin"] == 1.0 for p in pairs)
    assert pairs[0]["chosen"] == [
        {"role": "assistant", "content": EXAMPLE["item"]["payload"]["candidates"][1]["content"]}
    ]
    strict = _stored({"order": [[2], [1], [0]]})
    strict_pairs = list(writers["pairs"](_item([strict]), config, RANKING.consensus([strict], config)))
    assert len(strict_pairs) == 3
    assert sorted(p["margin"] for p in strict_pairs) == [1.0, 1.0, 2.0]
    json.dumps([row, *pairs])
