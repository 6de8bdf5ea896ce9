"""The critique task type: span-anchored issues, field-level errors, span-cluster consensus, the export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from quorum.errors import Invalid
from quorum.task_types import registry
from quorum.task_types.base import ExportItem, JudgmentRecord
from quorum.task_types.critique import Config, cluster_issues, iou

KIND = registry.get("critique")
RESPONSE = "def mean(xs):\n    return sum(xs) / len(xs) - 1  # ok? ✓\n\ndef first(xs):\n    return xs[1]\n"
PAYLOAD = {
    "prompt": [{"role": "user", "content": "Write mean() and first()."}],
    "response": RESPONSE,
    "language": "python",
    "response_model": "coder-1",
}
CONFIG = {"categories": ["bug", "style"]}


def _issue(quote: str, severity: str = "major", comment: str = "wrong", **extra: Any) -> dict[str, Any]:
    start = RESPONSE.index(quote)
    return {
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "severity": severity,
        "comment": comment,
        **extra,
    }


def _fields(raw: dict[str, Any], config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    cfg = KIND.parse_config(config if config is not None else CONFIG)
    with pytest.raises(Invalid) as caught:
        KIND.parse_answer(raw, KIND.parse_payload(PAYLOAD, cfg), cfg)
    return [(d["field"], d["msg"]) for d in caught.value.details]


def _ok(raw: dict[str, Any]) -> dict[str, Any]:
    cfg = KIND.parse_config(CONFIG)
    answer = KIND.parse_answer(raw, KIND.parse_payload(PAYLOAD, cfg), cfg)
    return answer.model_dump(mode="json", exclude_none=True)


def test_valid_answers_use_python_offsets() -> None:
    # The check mark after "ok?" is one code point: offsets are Python string indexes.
    answer = _ok({"no_issues": False, "issues": [_issue("xs[1]", "critical", category="bug"), _issue("✓")]})
    assert [i["quote"] for i in answer["issues"]] == ["xs[1]", "✓"]
    assert _ok({"no_issues": True})["issues"] == []


def test_errors_name_the_issue_and_field() -> None:
    moved = {**_issue("len(xs) - 1"), "start": 10, "end": 21}
    assert _fields({"no_issues": False, "issues": [_issue("xs[1]"), moved]}) == [
        (
            "answer.issues.1.quote",
            f"not found at 10..21 in the response; it occurs at {RESPONSE.index('len(xs) - 1')}..{RESPONSE.index('len(xs) - 1') + 11}",
        )
    ]
    assert _fields({"no_issues": True, "issues": [_issue("xs[1]")]})[0][0] == "answer.issues"
    assert _fields({"no_issues": False, "issues": []})[0][0] == "answer.issues"
    assert (
        _fields({"no_issues": False, "issues": [_issue("xs[1]", "fatal")]})[0][0]
        == "answer.issues.0.severity"
    )
    assert (
        _fields({"no_issues": False, "issues": [_issue("xs[1]", category="perf")]})[0][0]
        == "answer.issues.0.category"
    )
    assert (
        _fields({"no_issues": False, "issues": [_issue("xs[1]", category="bug")]}, {})[0][0]
        == "answer.issues.0.category"
    )
    assert (
        _fields({"no_issues": False, "issues": [_issue("xs[1]", comment="  ")]})[0][0]
        == "answer.issues.0.comment"
    )
    backwards = {**_issue("xs[1]"), "end": 2}
    assert _fields({"no_issues": False, "issues": [backwards]})[0][0] == "answer.issues.0.end"
    too_far = {**_issue("xs[1]"), "end": 999}
    assert _fields({"no_issues": False, "issues": [too_far]})[0][0] == "answer.issues.0.end"
    assert (
        _fields({"no_issues": False, "issues": [{**_issue("xs[1]"), "start": -1}]})[0][0]
        == "answer.issues.0.start"
    )
    assert (
        _fields({"no_issues": False, "issues": [{**_issue("xs[1]"), "line": 3}]})[0][0]
        == "answer.issues.0.line"
    )


def test_payload_and_config_validation() -> None:
    cfg = Config()
    assert cfg.severities == ["minor", "major", "critical"]
    with pytest.raises(Invalid) as caught:
        KIND.parse_payload({"prompt": "p", "response": ""}, cfg)
    assert caught.value.details[0]["field"] == "payload.response"
    with pytest.raises(Invalid) as caught:
        KIND.parse_payload({"prompt": [], "response": "x"}, cfg)
    assert caught.value.details[0]["field"] == "payload.prompt"
    with pytest.raises(Invalid):
        KIND.parse_config({"severities": ["a", "a"]})
    # Browsers turn CR LF into LF, so the stored response does too: offsets mean the same on both sides.
    assert KIND.parse_payload({"prompt": "p", "response": "a\r\nb\rc"}, cfg).response == "a\nb\nc"
    assert "response_model" not in KIND.public_payload(dict(PAYLOAD))


def test_iou_and_clusters() -> None:
    assert iou((0, 10), (0, 10)) == 1.0
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert iou((0, 10), (20, 30)) == 0.0
    clusters = cluster_issues(
        [
            [{"start": 0, "end": 10}, {"start": 40, "end": 50}],
            [{"start": 1, "end": 10}, {"start": 0, "end": 9}],  # two of one annotator never share a cluster
            [{"start": 41, "end": 50}],
        ]
    )
    assert sorted(sorted(m.annotator for m in c.members) for c in clusters) == [[0, 1], [0, 2], [1]]


def test_consensus_keeps_majority_clusters() -> None:
    cfg = KIND.parse_config(CONFIG)
    bug = _issue("xs[1]", "critical", "index 0 is the first", category="bug")
    bug_wider = _issue(" xs[1]", "major", "should be xs[0]", category="bug")  # IoU 5/6 with "xs[1]"
    minus = _issue("- 1", "minor", "why subtract one?")
    a = {"no_issues": False, "issues": [bug, minus]}
    b = {"no_issues": False, "issues": [bug_wider]}
    c = {"no_issues": True, "issues": []}
    same = KIND.consensus([a, a], cfg)
    assert same.confidence == 1.0 and same.answer is not None
    assert [i["quote"] for i in same.answer["issues"]] == ["- 1", "xs[1]"]
    result = KIND.consensus([a, b, c], cfg)
    assert result.answer is not None
    assert result.answer["no_issues"] is False
    (kept,) = result.answer["issues"]  # "- 1" was found by one annotator of three: dropped
    assert kept["support"] == pytest.approx(2 / 3)
    assert RESPONSE[kept["start"] : kept["end"]] == kept["quote"]
    assert kept["category"] == "bug"
    assert kept["severity"] == "critical"  # a 1-1 tie goes to the more severe
    assert result.confidence < 1.0
    # Spans that overlap too little (IoU 5/12) are different issues: neither has a majority.
    far = {"no_issues": False, "issues": [_issue("return xs[1]", category="bug")]}
    assert KIND.consensus([a, far], cfg).answer == {"no_issues": False, "issues": []}
    none = KIND.consensus([c, c, a], cfg)
    assert none.answer == {"no_issues": True, "issues": []}
    assert KIND.consensus([], cfg).answer is None


def test_critiques_export_row() -> None:
    cfg = KIND.parse_config(CONFIG)
    answers = [{"no_issues": False, "issues": [_issue("xs[1]", category="bug")]}] * 2
    when = datetime(2026, 1, 1, tzinfo=UTC)
    item = ExportItem(
        "c-1", dict(PAYLOAD), {}, [JudgmentRecord(f"u{i}", a, 5, 1, when) for i, a in enumerate(answers)], []
    )
    (row,) = list(KIND.exports()["critiques"](item, cfg, KIND.consensus(answers, cfg)))
    assert row["external_id"] == "c-1" and row["response"] == RESPONSE and row["prompt"] == PAYLOAD["prompt"]
    assert row["no_issues"] is False
    (issue,) = row["issues"]
    assert {k: issue[k] for k in ("start", "end", "quote", "severity", "category", "support")} == {
        "start": RESPONSE.index("xs[1]"),
        "end": RESPONSE.index("xs[1]") + 5,
        "quote": "xs[1]",
        "severity": "major",
        "category": "bug",
        "support": 1.0,
    }
    assert issue["comment"] == "wrong"
    json.dumps(row)


def test_the_response_model_is_kept_as_provenance() -> None:
    (candidate,) = KIND.candidates(KIND.parse_payload(PAYLOAD, Config()))
    assert (candidate.position, candidate.model) == (0, "coder-1")
