"""SFT: payload and reply validation, the server-filled edit distance, medoid consensus, the chat export."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from quorum.errors import Invalid
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.sft import TASK_TYPE as SFT
from quorum.task_types.sft import levenshtein, similarity

EXAMPLE = SFT.example()
DRAFT = EXAMPLE["item"]["payload"]["draft"]


def _reference(a: str, b: str) -> int:
    """The textbook two-row dynamic programme."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = row
    return previous[-1]


def test_levenshtein_matches_the_reference() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("abc", "") == 3
    assert levenshtein("same", "same") == 0
    assert levenshtein("flaw", "lawn") == 2
    assert levenshtein("naïve café 🙂", "naive cafe 🙂!") == 3
    rng = random.Random(7)
    for _ in range(400):
        a = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 70)))
        assert levenshtein(a, b) == _reference(a, b) == levenshtein(b, a), (a, b)


def test_levenshtein_is_fast_on_long_texts() -> None:
    rng = random.Random(1)
    a = "".join(rng.choice("abcdefgh \n") for _ in range(5000))
    b = "".join(rng.choice("abcdefgh \n") for _ in range(5000))
    assert 0 < levenshtein(a, b) <= 5000  # a full 5000 x 5000 table in pure Python would take seconds


def _config(**changes: Any) -> Any:
    return SFT.parse_config({**EXAMPLE["config"], **changes})


def _payload(raw: dict[str, Any] | None = None, config: Any = None) -> Any:
    return SFT.parse_payload(raw or EXAMPLE["item"]["payload"], config or _config())


def _parse(raw: dict[str, Any], payload: Any = None, config: Any = None) -> dict[str, Any]:
    config = config or _config()
    return SFT.parse_answer(raw, payload or _payload(config=config), config).model_dump(
        mode="json", exclude_none=True
    )


def test_server_fills_the_edit_distance() -> None:
    stored = _parse({"reply": DRAFT + " Exactly.", "from_draft": True})
    assert stored == {"reply": DRAFT + " Exactly.", "from_draft": True, "edit_distance": 9}
    # A client may send the distance; it must be the right one.
    assert _parse({"reply": DRAFT, "from_draft": True, "edit_distance": 0})["edit_distance"] == 0
    with pytest.raises(Invalid) as exc:
        _parse({"reply": DRAFT, "from_draft": True, "edit_distance": 4})
    assert exc.value.details[0]["field"] == "answer.edit_distance"


def test_no_draft_means_no_distance() -> None:
    payload = _payload({"messages": [{"role": "user", "content": "Say hello politely."}]})
    assert _parse({"reply": "Hello, nice to meet you!"}, payload) == {
        "reply": "Hello, nice to meet you!",
        "from_draft": False,
    }
    with pytest.raises(Invalid) as exc:
        _parse({"reply": "Hello, nice to meet you!", "from_draft": True}, payload)
    assert exc.value.details[0]["field"] == "answer.from_draft"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"reply": ""}, "answer.reply"),
        ({"reply": "  short  "}, "answer.reply"),
        ({"reply": "y" * 4001}, "answer.reply"),
        ({"reply": 12}, "answer.reply"),
        ({"reply": "A long enough reply.", "from_draft": "no"}, "answer.from_draft"),
        ({"reply": "A long enough reply.", "edit_distance": -1}, "answer.edit_distance"),
    ],
)
def test_mistakes_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as exc:
        _parse(raw)
    assert field in [d["field"] for d in exc.value.details]


@pytest.mark.parametrize(
    "payload",
    [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": "system", "content": "Be brief."}]},
        {"messages": []},
        {"messages": [{"role": "user", "content": "hi"}], "draft_model": "m"},
    ],
)
def test_payload_must_end_with_a_user_turn(payload: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        SFT.parse_payload(payload, _config())


def test_config_bounds() -> None:
    with pytest.raises(Invalid):
        SFT.parse_config({"min_chars": 10, "max_chars": 5})
    with pytest.raises(Invalid):
        SFT.parse_config({"min_chars": 0})
    assert SFT.parse_config({}).min_chars == 1


def test_public_payload_hides_the_draft_model() -> None:
    public = SFT.public_payload(_payload().model_dump(mode="json", exclude_none=True))
    assert set(public) == {"messages", "draft"}


def test_medoid_consensus() -> None:
    config = _config()
    a = _parse({"reply": "There are 10,080 minutes in a week.", "from_draft": True})
    b = _parse({"reply": "There are 10,080 minutes in one week.", "from_draft": True})
    c = _parse({"reply": "Roughly ten thousand minutes, give or take.", "from_draft": False})
    same = SFT.consensus([a, a, a], config)
    assert same.answer == a and same.confidence == pytest.approx(1.0) and same.method == "medoid"
    assert SFT.consensus([a], config).confidence == 1.0
    mixed = SFT.consensus([c, b, a], config)
    assert mixed.answer in (a, b)
    expected = (similarity(mixed.answer["reply"], c["reply"]) + similarity(a["reply"], b["reply"])) / 2
    assert mixed.confidence == pytest.approx(expected)
    assert mixed.confidence < 1.0
    # An exact tie goes to the earliest answer.
    assert SFT.consensus([b, a], config).answer == b
    assert SFT.consensus([], config).answer is None


def test_sft_export_is_the_chat_shape() -> None:
    config = _config()
    payload = _payload()
    answer = _parse({"reply": DRAFT + " Exactly.", "from_draft": True})
    judgments = [JudgmentRecord("a0", answer, 1000, 1, datetime.now(UTC))]
    item = ExportItem(
        "sft-1", payload.model_dump(mode="json", exclude_none=True), {}, judgments, SFT.candidates(payload)
    )
    (row,) = list(SFT.exports()["sft"](item, config, SFT.consensus([answer], config)))
    assert row["messages"] == [
        *EXAMPLE["item"]["payload"]["messages"],
        {"role": "assistant", "content": DRAFT + " Exactly."},
    ]
    assert row["edit_distance"] == 9
    assert row["from_draft"] is True
    assert row["draft_model"] == "drafter-demo-model"
    assert row["external_id"] == "sft-1"
    # Answers stored without the distance get it computed at export.
    legacy = {"reply": DRAFT + "!", "from_draft": True}
    (old,) = list(SFT.exports()["sft"](item, config, SFT.consensus([legacy], config)))
    assert old["edit_distance"] == 1
    json.dumps(row)


def test_demo_items_are_valid() -> None:
    config = _config()
    rows = SFT.demo_items()
    assert 3 <= len(rows) <= 6
    assert any("draft" not in r["payload"] for r in rows) and any("draft" in r["payload"] for r in rows)
    for row in rows:
        SFT.parse_payload(row["payload"], config)
