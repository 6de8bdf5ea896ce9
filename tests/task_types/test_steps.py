"""The steps task type: validation with field names, per-step consensus, the prm export, PRM800K import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ci import skip_or_fail
from quorum.errors import Invalid
from quorum.task_types import registry
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.steps import Config, from_prm800k

KIND = registry.get("steps")
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PRM800K = DATA / "prm800k" / "prm800k_sample.jsonl"

PAYLOAD = {
    "problem": "Compute $2 + 3 \\cdot 4$.",
    "steps": [
        "Multiply first: $3 \\cdot 4 = 12$.",
        "Add: $2 + 12 = 15$.",
        "So the answer is 15.",
        "# Answer\n\n15",
    ],
    "reference_answer": "14",
    "solution_model": "m-1",
}


def _fields(raw: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    cfg = KIND.parse_config(config or {})
    payload = KIND.parse_payload(PAYLOAD, cfg)
    with pytest.raises(Invalid) as caught:
        KIND.parse_answer(raw, payload, cfg)
    return [d["field"] for d in caught.value.details]


def _ok(raw: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = KIND.parse_config(config or {})
    answer = KIND.parse_answer(raw, KIND.parse_payload(PAYLOAD, cfg), cfg)
    return answer.model_dump(mode="json", exclude_none=True)


def test_valid_answers_and_notes() -> None:
    assert _ok({"labels": [1, -1, -1, -1], "notes": {"1": "2 + 12 is 14"}, "final_answer_correct": False})[
        "notes"
    ] == {"1": "2 + 12 is 14"}
    # With stop_at_first_error, labels may end at the first -1.
    assert _ok({"labels": [1, -1]}, {"stop_at_first_error": True})["labels"] == [1, -1]


def test_errors_name_the_step() -> None:
    with pytest.raises(Invalid) as caught:
        KIND.parse_answer({"labels": [1, 1]}, KIND.parse_payload(PAYLOAD, Config()), Config())
    assert caught.value.details[0] == {
        "loc": ["answer", "labels"],
        "field": "answer.labels",
        "msg": "expected 4 labels, got 2",
    }
    assert _fields({"labels": [1, 1, 5, 1]}) == ["answer.labels.2"]
    assert _fields({"labels": [1, 1, 1, 1], "notes": {"9": "?"}}) == ["answer.notes.9"]
    assert _fields({"labels": [1, 1, 1, 1], "notes": {"x": "?"}}) == ["answer.notes.x"]
    assert _fields({"labels": [1, 0, 1, 1]}, {"allow_neutral": False}) == ["answer.labels.1"]
    assert _fields({"labels": [1, 1, 1, 1], "first_error": None}) == ["answer.first_error"]
    assert _fields({"labels": [1, "1", 1, 1]}) == ["answer.labels.1"]
    # Fewer labels only when they stop at the first -1, and only when the project allows it.
    assert _fields({"labels": [1, -1]}) == ["answer.labels"]
    assert _fields({"labels": [1, 1]}, {"stop_at_first_error": True}) == ["answer.labels"]
    assert _fields({"labels": [-1, -1]}, {"stop_at_first_error": True}) == ["answer.labels"]


def test_payload_errors_name_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        KIND.parse_payload({"problem": "p", "steps": ["a", ""]}, Config())
    assert caught.value.details[0]["field"] == "payload.steps.1"
    with pytest.raises(Invalid) as caught:
        KIND.parse_payload({"problem": "p", "steps": []}, Config())
    assert caught.value.details[0]["field"] == "payload.steps"
    with pytest.raises(Invalid):
        KIND.parse_payload({"problem": "p", "steps": ["s"] * 201}, Config())


def test_consensus_is_a_per_step_majority_with_cautious_ties() -> None:
    cfg = Config()
    a = {"labels": [1, 1, -1, 1], "final_answer_correct": False}
    b = {"labels": [1, 0, 1, 1], "final_answer_correct": True}
    c = {"labels": [1, 1, 1, 1]}
    same = KIND.consensus([a, a, a], cfg)
    assert same.answer is not None and same.confidence == 1.0
    assert same.answer["first_error"] == 2
    three = KIND.consensus([a, b, c], cfg)
    assert three.answer is not None
    assert three.answer["labels"] == [1, 1, 1, 1]
    assert three.answer["first_error"] is None
    assert three.confidence == pytest.approx((1 + 2 / 3 + 2 / 3 + 1) / 4)
    # Ties go to the lower label: 1 vs 0 gives 0, 1 vs -1 gives -1; a tie on the final answer gives False.
    two = KIND.consensus([a, b], cfg)
    assert two.answer is not None
    assert two.answer["labels"] == [1, 0, -1, 1]
    assert two.answer["first_error"] == 2
    assert two.answer["final_answer_correct"] is False
    assert two.confidence < 1.0
    assert KIND.consensus([], cfg).answer is None


def test_consensus_with_stop_at_first_error_ends_at_the_error() -> None:
    cfg = Config(stop_at_first_error=True)
    result = KIND.consensus([{"labels": [1, -1]}, {"labels": [1, -1]}, {"labels": [1, 1, 1, 1]}], cfg)
    assert result.answer is not None
    assert result.answer["labels"] == [1, -1]
    assert result.answer["first_error"] == 1


def test_prm_export_row() -> None:
    cfg = Config()
    answers = [{"labels": [1, -1, -1, -1], "notes": {"1": "15 is wrong"}}, {"labels": [1, -1, -1, 0]}]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    item = ExportItem(
        "s-1",
        KIND.parse_payload(PAYLOAD, cfg).model_dump(mode="json", exclude_none=True),
        {},
        [JudgmentRecord(f"u{i}", a, 10, 1, when) for i, a in enumerate(answers)],
        [],
    )
    consensus = KIND.consensus(answers, cfg)
    (row,) = list(KIND.exports()["prm"](item, cfg, consensus))
    assert row["external_id"] == "s-1"
    assert row["steps"] == PAYLOAD["steps"] and row["problem"] == PAYLOAD["problem"]
    assert row["labels"] == [1, -1, -1, -1]
    assert row["first_error"] == 1
    assert row["reference_answer"] == "14" and row["solution_model"] == "m-1"
    assert row["n_judgments"] == 2
    json.dumps(row)


def test_public_payload_hides_the_model() -> None:
    assert "solution_model" not in KIND.public_payload(dict(PAYLOAD))


def _prm800k_records() -> list[dict[str, Any]]:
    if not PRM800K.exists():
        message = f"PRM800K sample not found at {PRM800K}"
        skip_or_fail(message)
    return [json.loads(line) for line in PRM800K.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_prm800k_records_map_to_importable_items() -> None:
    records = _prm800k_records()
    assert len(records) == 12
    strict = Config(stop_at_first_error=True)
    ids = set()
    for record in records:
        row = from_prm800k(record, gold=True)
        payload = KIND.parse_payload(row["payload"], strict)
        ids.add(row["external_id"])
        meta = row["metadata"]["prm800k"]
        assert payload.problem == record["question"]["problem"]
        assert payload.reference_answer == record["question"]["ground_truth_answer"]
        if record["generation"] is not None:
            # Phase 2: the pre-generated solution, rated up to the first error.
            assert payload.steps == record["question"]["pre_generated_steps"]
            assert payload.solution_model == f"prm800k-generator-{record['generation']}"
            assert meta["labels"] == [s["completions"][0]["rating"] for s in record["label"]["steps"]]
            if record["label"]["finish_reason"] == "found_error":
                assert meta["labels"][-1] == -1 and meta["first_error"] == len(meta["labels"]) - 1
            # The original ratings are a valid answer for a stop-at-first-error project.
            KIND.parse_answer(row["gold"], payload, strict)
        else:
            assert payload.solution_model is None
            assert len(payload.steps) == len(meta["labels"])
    assert len(ids) == len(records)


def test_prm800k_phase1_follows_the_chosen_path() -> None:
    first = _prm800k_records()[0]
    row = from_prm800k(first)
    meta = row["metadata"]["prm800k"]
    steps = first["label"]["steps"]
    assert row["payload"]["steps"][0] == steps[0]["completions"][0]["text"]
    # Step 1 had no acceptable completion: the labeller wrote it, and its rating is unknown.
    assert row["payload"]["steps"][1] == steps[1]["human_completion"]["text"]
    assert meta["human_steps"] == [1] and meta["labels"][1] is None
    assert row["payload"]["steps"][-1] == steps[-1]["completions"][steps[-1]["chosen_completion"]]["text"]
    assert "gold" not in from_prm800k(first, gold=True)  # an unknown rating cannot be gold


def test_the_solution_model_is_kept_as_provenance() -> None:
    (candidate,) = KIND.candidates(KIND.parse_payload(PAYLOAD, Config()))
    assert (candidate.position, candidate.model) == (0, "m-1")
    assert KIND.candidates(KIND.parse_payload({"problem": "p", "steps": ["s"]}, Config())) == []
