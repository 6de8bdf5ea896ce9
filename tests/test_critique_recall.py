"""The planted-flaw recall estimator recovers a planted critique benefit, and finds none when none was
planted: simulated annotators (``critiques/simulate.py``) written into a project on both databases, read
back by ``critiques.report.section``."""

from __future__ import annotations

import pytest

from factories import person, project
from quorum.critiques import report
from quorum.critiques.simulate import Plan, annotators_of, plant
from quorum.db import Database
from quorum.models import Project


def _section(database: Database, plan: Plan) -> dict[str, object]:
    names = [person(database, f"sim{i}").username for i in range(4)]
    pid = project(database, "sim", task_type="critique")
    with database.session() as db:
        plant(db, db.get(Project, pid), annotators_of(db, names), plan)
    with database.session() as db:
        return report.section(db, db.get(Project, pid))


def _within(estimate: dict[str, object], truth: float) -> bool:
    low, high = estimate["low"], estimate["high"]
    return isinstance(low, float) and isinstance(high, float) and low <= truth <= high


# Fixed seeds; seed 1 misses the difference's 95% interval by 0.0014 (one in twenty should): coverage itself is
# checked over 400 runs in tests/core/test_flaw_recall.py.
@pytest.mark.parametrize("seed", [2, 3])
def test_a_planted_benefit_is_recovered_within_its_intervals(database: Database, seed: int) -> None:
    plan = Plan(n_items=400, r0=0.27, r1=0.45, seed=seed)
    section = _section(database, plan)
    with_c, without = section["recall_with_critiques"], section["recall_without_critiques"]
    assert isinstance(with_c, dict) and isinstance(without, dict)
    assert _within(with_c, 0.45) and _within(without, 0.27)
    difference = section["recall_difference"]
    assert isinstance(difference, dict) and _within(difference, 0.18) and difference["low"] > 0
    unmatched = section["kept_comments_unmatched"]
    assert isinstance(unmatched, dict) and _within(unmatched, plan.expected_unmatched)
    assert section["items_with_planted_flaws"] == 400


def test_no_benefit_planted_none_found(database: Database) -> None:
    section = _section(database, Plan(n_items=400, r0=0.4, r1=0.4, seed=3))
    difference = section["recall_difference"]
    assert isinstance(difference, dict) and _within(difference, 0.0)
    assert abs(difference["value"]) < 0.08
