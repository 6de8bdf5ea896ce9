"""Every registered task type passes the same checks; a new type gets them by registering."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from quorum.errors import Invalid
from quorum.task_types import registry
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.describe import describe

TYPES = [kind.name for kind in registry.all_types()]


def _parsed(name: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    kind = registry.get(name)
    example = kind.example()
    config = kind.parse_config(example["config"])
    payload = kind.parse_payload(example["item"]["payload"], config)
    return kind, config, payload, example


def _fields(exc: Invalid) -> list[str]:
    return [str(d.get("field", "")) for d in exc.details] if isinstance(exc.details, list) else []


@pytest.mark.parametrize("name", TYPES)
def test_example_parses_and_describes(name: str) -> None:
    kind, config, payload, example = _parsed(name)
    assert set(example) >= {"config", "item", "answer"}
    assert set(example["item"]) >= {"external_id", "payload"}
    kind.parse_answer(example["answer"], payload, config)
    kind.parse_answer(kind.contrasting_answer(), payload, config)
    assert kind.contrasting_answer() != example["answer"]
    info = json.loads(json.dumps(describe(kind)))
    assert info["exports"][0] == "jsonl"
    assert {"config_schema", "payload_schema", "answer_schema"} <= set(info)
    assert kind.agreement_level in ("nominal", "ordinal", "interval", "ranking")
    for row in kind.demo_items():
        kind.parse_payload(row["payload"], config)
    for template in ("view.html", "form.html", "widget.js", "fill.js"):
        assert (kind.assets_dir() / template).is_file(), template


@pytest.mark.parametrize("name", TYPES)
def test_mutated_answers_are_refused_with_the_field(name: str) -> None:
    kind, config, payload, example = _parsed(name)
    answer = example["answer"]
    with pytest.raises(Invalid) as empty:
        kind.parse_answer({} if answer else {"x": 1}, payload, config)
    assert empty.value.message.startswith("invalid answer")
    with pytest.raises(Invalid) as extra:
        kind.parse_answer({**answer, "bogus_field": 1}, payload, config)
    assert "answer.bogus_field" in _fields(extra.value)
    for key in answer:
        with pytest.raises(Invalid) as wrong:
            kind.parse_answer({**answer, key: {"not": "this"}}, payload, config)
        assert any(f.startswith(f"answer.{key}") for f in _fields(wrong.value)), (key, _fields(wrong.value))
    assert kind.invalid_answers(), "each type names at least one semantic mistake"
    for bad, field in kind.invalid_answers():
        with pytest.raises(Invalid) as semantic:
            kind.parse_answer(bad, payload, config)
        assert any(f.startswith(field) for f in _fields(semantic.value)), (
            bad,
            field,
            _fields(semantic.value),
        )


@pytest.mark.parametrize("name", TYPES)
def test_consensus_confidence(name: str) -> None:
    kind, config, payload, example = _parsed(name)
    answer = kind.parse_answer(example["answer"], payload, config).model_dump(mode="json", exclude_none=True)
    other = kind.parse_answer(kind.contrasting_answer(), payload, config).model_dump(
        mode="json", exclude_none=True
    )
    same = kind.consensus([answer] * 3, config)
    assert same.confidence == pytest.approx(1.0)
    assert same.answer is not None and same.n_judgments == 3
    split = kind.consensus([answer, other, answer, other], config)
    assert split.confidence < 1.0
    assert kind.consensus([], config).answer is None


@pytest.mark.parametrize("name", TYPES)
def test_exports_are_json_rows(name: str) -> None:
    kind, config, payload, example = _parsed(name)
    stored = kind.parse_payload(example["item"]["payload"], config).model_dump(mode="json", exclude_none=True)
    answer = kind.parse_answer(example["answer"], payload, config).model_dump(mode="json", exclude_none=True)
    judgments = [JudgmentRecord(f"a{i}", answer, 1000, 1, datetime.now(UTC)) for i in range(3)]
    item = ExportItem(example["item"]["external_id"], stored, {}, judgments, kind.candidates(payload))
    consensus = kind.consensus([answer] * 3, config)
    for fmt, writer in kind.exports().items():
        rows = list(writer(item, config, consensus))
        assert rows, fmt
        for row in rows:
            assert isinstance(row, dict)
            json.dumps(row)


@pytest.mark.parametrize("name", TYPES)
def test_annotators_never_see_model_provenance(name: str) -> None:
    kind, _config, payload, _example = _parsed(name)
    models = [c.model for c in kind.candidates(payload) if c.model]
    public = json.dumps(kind.public_payload(payload.model_dump(mode="json", exclude_none=True)))
    for model in models:
        assert model not in public


@pytest.mark.parametrize("name", TYPES)
def test_gold_scoring(name: str) -> None:
    kind, config, payload, example = _parsed(name)
    gold = kind.parse_answer(example["answer"], payload, config).model_dump(mode="json", exclude_none=True)
    other = kind.parse_answer(kind.contrasting_answer(), payload, config).model_dump(
        mode="json", exclude_none=True
    )
    assert kind.gold_score(gold, gold, config) == 1.0
    assert kind.gold_score(other, gold, config) < 1.0


@pytest.mark.parametrize("name", TYPES)
def test_candidate_rows_are_the_candidates_provenance(name: str) -> None:
    # A type may build the rows directly (pairwise, ranking); they must stay what ``candidates`` says.
    kind, _config, payload, _example = _parsed(name)
    expected = [
        {"position": c.position, "model": c.model, "provider": c.provider, "params": c.params}
        for c in kind.candidates(payload)
    ]
    assert kind.candidate_rows(payload) == expected
    assert all(
        list(row) == ["position", "model", "provider", "params"] for row in kind.candidate_rows(payload)
    )
