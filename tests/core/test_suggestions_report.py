"""The anchoring estimator recovers a planted tendency q within its interval, and finds none at q = 0.

Under the planted model the estimand is known: effect = q * (1 - P(agree | blind)), and the tendency
effect / (1 - P(agree | blind)) is q itself (``quorum.simulate.anchoring``)."""

from __future__ import annotations

import numpy as np

from quorum.core.suggestions_report import measure
from quorum.simulate.anchoring import Plan, simulate


def _covers(estimate: dict[str, float | None], truth: float) -> bool:
    low, high = estimate["low"], estimate["high"]
    return low is not None and high is not None and low <= truth <= high


def test_a_planted_tendency_is_recovered_within_its_interval() -> None:
    plan = Plan(n_items=3000, per_item=3, q=0.4)
    j, names = simulate(plan, seed=1)
    report = measure(j, names, flag_threshold=None, n_boot=400, seed=2)
    assert _covers(report["anchoring_effect"], plan.expected_effect())
    assert _covers(report["anchoring_tendency"], 0.4)
    # And the interval is tight enough to tell it from no effect.
    assert report["anchoring_effect"]["low"] > 0.1
    blind = report["agreement_with_suggestion"]["blind"]
    assert _covers(blind, plan.blind_agreement())


def test_no_planted_tendency_no_effect() -> None:
    plan = Plan(n_items=3000, per_item=3, q=0.0)
    j, names = simulate(plan, seed=3)
    report = measure(j, names, flag_threshold=None, n_boot=400, seed=4)
    assert _covers(report["anchoring_effect"], 0.0)
    assert _covers(report["anchoring_tendency"], 0.0)


def test_the_interval_covers_the_planted_effect_at_its_level() -> None:
    """Over many simulated projects a 95% interval covers the truth about 95% of the time."""
    plan = Plan(n_items=600, per_item=3, q=0.25)
    covered = 0
    for seed in range(40):
        j, names = simulate(plan, seed=100 + seed)
        covered += _covers(
            measure(j, names, flag_threshold=None, n_boot=200, seed=seed)["anchoring_effect"],
            plan.expected_effect(),
        )
    assert covered >= 34  # 95% of 40 is 38; P(fewer than 34) is under 1% when coverage is right


def test_probes_flag_the_annotators_who_take_wrong_suggestions() -> None:
    plan = Plan(n_items=4000, per_item=2, n_annotators=4, gold_share=0.3, probe_rate=0.5)
    q = np.array([0.0, 0.1, 0.9, 0.95])
    j, names = simulate(plan, seed=5, q_by_annotator=q)
    report = measure(j, names, flag_threshold=0.5, n_boot=0)
    people = report["annotators"]
    assert [p["flagged"] for p in people] == [False, False, True, True]
    # A probe is accepted when taken, or when the annotator's own answer happens to be the wrong label.
    for p, tendency in zip(people, q, strict=True):
        expected = tendency + (1 - tendency) * (1 - plan.accuracy) / (plan.k - 1)
        assert abs(p["probe_acceptance_rate"] - expected) < 0.06
    assert people[3]["fast_accepts"] > people[0]["fast_accepts"]
    # Gold accuracy drops where suggestions (and wrong probes) are shown to people who take them.
    gold = report["gold_accuracy"]
    assert gold["shown"]["value"] is not None and gold["blind"]["value"] is not None
