"""Rating: rubric validation with field-level errors, median/majority consensus, the rated export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from quorum.errors import Invalid
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.rating import TASK_TYPE as RATING

EXAMPLE = RATING.example()
GOOD = {"scores": {"helpfulness": 4, "factual": "yes", "clarity": 3}, "flags": [], "overall": 5}


def _config(**changes: Any) -> Any:
    return RATING.parse_config({**EXAMPLE["config"], **changes})


def _parse(raw: dict[str, Any], config: Any = None) -> dict[str, Any]:
    config = config or _config()
    payload = RATING.parse_payload(EXAMPLE["item"]["payload"], config)
    return RATING.parse_answer(raw, payload, config).model_dump(mode="json", exclude_none=True)


def _fields(raw: dict[str, Any], config: Any = None) -> list[str]:
    with pytest.raises(Invalid) as exc:
        _parse(raw, config)
    return [d["field"] for d in exc.value.details]


def test_valid_answer_roundtrips() -> None:
    assert _parse(GOOD) == {**GOOD, "comment": ""}
    _parse({**GOOD, "flags": ["hallucination", "unsafe"], "comment": "fine"})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({**GOOD, "scores": {"factual": "yes", "clarity": 3}}, "answer.scores.helpfulness"),
        ({**GOOD, "scores": {**GOOD["scores"], "helpfulness": 0}}, "answer.scores.helpfulness"),
        ({**GOOD, "scores": {**GOOD["scores"], "helpfulness": 6}}, "answer.scores.helpfulness"),
        ({**GOOD, "scores": {**GOOD["scores"], "helpfulness": "yes"}}, "answer.scores.helpfulness"),
        ({**GOOD, "scores": {**GOOD["scores"], "helpfulness": 4.5}}, "answer.scores.helpfulness"),
        ({**GOOD, "scores": {**GOOD["scores"], "factual": 1}}, "answer.scores.factual"),
        ({**GOOD, "scores": {**GOOD["scores"], "factual": "maybe"}}, "answer.scores.factual"),
        ({**GOOD, "scores": {**GOOD["scores"], "tone": 3}}, "answer.scores.tone"),
        ({**GOOD, "overall": 8}, "answer.overall"),
        ({**GOOD, "overall": True}, "answer.overall"),
        ({"scores": GOOD["scores"]}, "answer.overall"),
        ({**GOOD, "flags": ["boring"]}, "answer.flags.0"),
        ({**GOOD, "flags": ["unsafe", "unsafe"]}, "answer.flags"),
    ],
)
def test_mistakes_name_the_field(raw: dict[str, Any], field: str) -> None:
    assert field in _fields(raw)


def test_config_decides_overall_and_comment() -> None:
    no_extras = _config(overall=None, comment=False)
    assert "answer.overall" in _fields(GOOD, no_extras)
    assert "answer.comment" in _fields({"scores": GOOD["scores"], "comment": "hi"}, no_extras)
    assert _parse({"scores": GOOD["scores"]}, no_extras)["scores"] == GOOD["scores"]


@pytest.mark.parametrize(
    "config",
    [
        {"criteria": []},
        {"criteria": [{"name": "a", "points": 11}]},
        {"criteria": [{"name": "a", "points": 1}]},
        {"criteria": [{"name": "a"}, {"name": "a"}]},
        {"criteria": [{"name": "a.b"}]},
        {"criteria": [{"name": "a", "scale": "stars"}]},
        {"criteria": [{"name": "a"}], "overall": {"min": 1, "max": 20}},
        {"criteria": [{"name": "a"}], "flags": ["x", "x"]},
    ],
)
def test_bad_configs_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        RATING.parse_config(config)


def test_consensus() -> None:
    config = _config()
    same = RATING.consensus([GOOD] * 3, config)
    assert same.answer == {"scores": GOOD["scores"], "flags": [], "overall": 5}
    assert same.confidence == pytest.approx(1.0)
    answers = [
        {**GOOD, "flags": ["hallucination"]},
        {
            "scores": {"helpfulness": 2, "factual": "no", "clarity": 3},
            "flags": ["hallucination"],
            "overall": 3,
        },
        {"scores": {"helpfulness": 5, "factual": "no", "clarity": 3}, "flags": ["unsafe"], "overall": 6},
    ]
    consensus = RATING.consensus(answers, config)
    assert consensus.answer == {
        "scores": {"helpfulness": 4, "factual": "no", "clarity": 3},
        "flags": ["hallucination"],
        "overall": 5,
    }
    assert 0.5 < consensus.confidence < 1.0
    # An even yes/no split goes to "no"; an even median takes the lower middle value.
    even = RATING.consensus(
        [GOOD, {**GOOD, "scores": {"helpfulness": 2, "factual": "no", "clarity": 3}}], config
    )
    assert even.answer is not None
    assert even.answer["scores"]["factual"] == "no"
    assert even.answer["scores"]["helpfulness"] == 2
    assert RATING.consensus([], config).answer is None


def test_rated_export() -> None:
    config = _config()
    payload = RATING.parse_payload(EXAMPLE["item"]["payload"], config)
    answers = [GOOD, {**GOOD, "comment": "Correct and short."}]
    judgments = [JudgmentRecord(f"a{i}", a, 1000, 1, datetime.now(UTC)) for i, a in enumerate(answers)]
    item = ExportItem(
        "rate-1",
        payload.model_dump(mode="json", exclude_none=True),
        {},
        judgments,
        RATING.candidates(payload),
    )
    (row,) = list(RATING.exports()["rated"](item, config, RATING.consensus(answers, config)))
    assert row["messages"] == EXAMPLE["item"]["payload"]["messages"]
    assert row["response"] == EXAMPLE["item"]["payload"]["response"]
    assert row["model"] == "rater-demo-model"
    assert row["scores"] == GOOD["scores"]
    assert row["scores_normalised"] == {"helpfulness": 0.75, "factual": 1.0, "clarity": 0.5}
    assert row["overall"] == 5
    assert row["comments"] == ["Correct and short."]
    json.dumps(row)


def test_public_payload_hides_the_model() -> None:
    public = RATING.public_payload(EXAMPLE["item"]["payload"])
    assert set(public) == {"messages", "response"}
