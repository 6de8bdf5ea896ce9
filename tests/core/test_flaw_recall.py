"""The recall estimator's intervals cover the truth at about their nominal rate, account for flaws found
together within one judgment, and the comment checks keep only exact spans."""

from __future__ import annotations

import json

import numpy as np

from quorum.core import flaw_recall
from quorum.core.critique_comments import annotator_metadata, flaw_problems, flaw_spans, overlaps, parse_reply


def _arm(
    rng: np.random.Generator, n: int, r: float, flaws: int = 3, correlated: bool = False
) -> flaw_recall.Recall:
    # Correlated: all of a judgment's flaws are found together or not at all (the widest clustering).
    found = (rng.random(n) < r).astype(int) * flaws if correlated else rng.binomial(flaws, r, size=n)
    return flaw_recall.recall(found, np.full(n, flaws))


def test_intervals_cover_the_truth_at_about_95_percent() -> None:
    rng = np.random.default_rng(0)
    for correlated in (False, True):
        covered = diff_covered = 0
        runs = 400
        for _ in range(runs):
            shown, blind = (
                _arm(rng, 150, 0.45, correlated=correlated),
                _arm(rng, 150, 0.27, correlated=correlated),
            )
            assert shown.low is not None and shown.high is not None
            covered += shown.low <= 0.45 <= shown.high
            d = flaw_recall.difference(shown, blind)
            assert d["low"] is not None and d["high"] is not None
            diff_covered += d["low"] <= 0.18 <= d["high"]
        assert 0.91 <= covered / runs <= 0.99, (correlated, covered)
        assert 0.91 <= diff_covered / runs <= 0.99, (correlated, diff_covered)


def test_clustered_finds_get_a_wider_interval_than_independent_ones() -> None:
    rng = np.random.default_rng(1)
    independent = _arm(rng, 300, 0.5)
    clustered = _arm(rng, 300, 0.5, correlated=True)
    assert independent.low is not None and clustered.low is not None
    assert (clustered.high - clustered.low) > 1.4 * (independent.high - independent.low)  # type: ignore[operator]


def test_empty_and_degenerate_arms() -> None:
    assert flaw_recall.recall([], []).value is None
    allfound = flaw_recall.recall([2, 2, 2], [2, 2, 2])
    assert allfound.value == 1.0 and allfound.low is not None and allfound.low < 1.0
    none = flaw_recall.recall([0, 0], [1, 1])
    assert flaw_recall.difference(allfound, none)["value"] == 1.0
    assert flaw_recall.share(0, 0)["value"] is None
    assert flaw_recall.share(1, 4)["value"] == 0.25


def test_only_exact_spans_with_known_severities_are_kept() -> None:
    response = "def f(x):\n    return x + 1\n"
    reply = json.dumps(
        {
            "comments": [
                {"quote": "x + 1", "severity": "major", "comment": "off by one"},
                {"quote": "x - 1", "severity": "major", "comment": "not there"},
                {"quote": "def", "severity": "fatal", "comment": "bad severity"},
                {"quote": "def", "severity": "minor", "comment": "  "},
                {"quote": "def", "severity": "minor", "comment": "ok", "model": "leak"},
                "text",
            ]
        }
    )
    kept, dropped, error = parse_reply(reply, response, ["minor", "major"])
    assert error is None and len(dropped) == 5
    assert kept == [{"quote": "x + 1", "start": 21, "end": 26, "severity": "major", "comment": "off by one"}]
    assert response[21:26] == "x + 1"
    assert parse_reply("no json", response, ["minor"])[2] is not None
    assert parse_reply('{"other": 1}', response, ["minor"])[2] is not None
    fenced = "```json\n" + reply + "\n```"
    assert parse_reply(fenced, response, ["minor", "major"])[0] == kept


def test_planted_flaws_are_checked_and_hidden() -> None:
    responses = ["alpha beta", "gamma delta"]
    assert flaw_problems([{"quote": "beta"}, {"candidate": 1, "quote": "delta"}], responses) == []
    assert flaw_problems([{"candidate": 1, "quote": "beta"}], responses) == [
        (".0.quote", "not an exact span of candidate 1's response")
    ]
    assert flaw_problems([{"candidate": True, "quote": "beta"}], responses)[0][0] == ".0.candidate"
    assert flaw_problems("beta", responses)[0][0] == ""
    assert flaw_problems([], []) == []
    assert flaw_spans([{"candidate": 1, "quote": "delta"}], responses) == [(1, 6, 11)]
    assert (
        overlaps((0, 0, 5), (0, 4, 9))
        and not overlaps((0, 0, 5), (0, 5, 9))
        and not overlaps((0, 0, 5), (1, 0, 5))
    )
    assert annotator_metadata({"inserted_flaws": [1], "batch": "b"}) == {"batch": "b"}
    assert annotator_metadata(None) == {}
