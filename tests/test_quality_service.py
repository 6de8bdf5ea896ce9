"""The quality report on projects with known simulated answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from factories import pairwise_rows, person, project
from quorum.accounts.access import find_project
from quorum.accounts.service import get_user
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.errors import Invalid
from quorum.models import Assignment, Item, Judgment
from quorum.quality.service import QualityReport, quality_report

# answers[external_id][username] = (answer, time_spent_ms, gold_score)
Answers = dict[str, dict[str, tuple[dict[str, Any], int, float | None]]]


def seed(
    database: Database, project_id: int, answers: Answers, payload: dict[str, Any] | None = None
) -> None:
    """Items, submitted assignments and judgments written straight to the tables: the report only reads."""
    with database.session() as db:
        for external_id, by_user in answers.items():
            item = Item(
                project_id=project_id,
                external_id=external_id,
                payload=payload or {"text": external_id},
                meta={},
                judgment_count=len(by_user),
            )
            db.add(item)
            db.flush()
            for username, (answer, ms, gold_score) in by_user.items():
                user = get_user(db, username)
                lease = Assignment(
                    project_id=project_id,
                    item_id=item.id,
                    user_id=user.id,
                    status="submitted",
                    expires_at=utcnow() + timedelta(minutes=15),
                )
                db.add(lease)
                db.flush()
                db.add(
                    Judgment(
                        project_id=project_id,
                        item_id=item.id,
                        assignment_id=lease.id,
                        user_id=user.id,
                        answer=answer,
                        time_spent_ms=ms,
                        guideline_version=1,
                        gold_score=gold_score,
                    )
                )


def report(database: Database, project_id: int, **options: Any) -> QualityReport:
    with database.session() as db:
        return quality_report(db, find_project(db, project_id), n_boot=50, **options)


def label(name: str) -> dict[str, Any]:
    return {"labels": [name]}


TRUTH = ["pos", "neg"] * 6


def test_an_annotator_who_always_disagrees_lowers_alpha(database: Database) -> None:
    for name in ("a", "b", "c"):
        person(database, name)
    unanimous = project(database, "unanimous")
    noisy = project(database, "noisy")
    flip = {"pos": "neg", "neg": "pos"}
    seed(
        database,
        unanimous,
        {f"u{i}": {n: (label(t), 9000, None) for n in ("a", "b", "c")} for i, t in enumerate(TRUTH)},
    )
    seed(
        database,
        noisy,
        {
            f"n{i}": {
                "a": (label(t), 9000, None),
                "b": (label(t), 9000, None),
                "c": (label(flip[t]), 9000, None),
            }
            for i, t in enumerate(TRUTH)
        },
    )
    good, bad = report(database, unanimous), report(database, noisy)
    (g,) = good.questions
    (q,) = bad.questions
    assert g.question == q.question == "label"
    assert g.alpha.value == pytest.approx(1.0)
    assert q.alpha.value is not None
    assert q.alpha.value < 0.0
    assert q.alpha.ci_low is not None
    assert q.alpha.ci_low <= q.alpha.value <= (q.alpha.ci_high or 0)
    assert (q.n_items, q.n_items_pairable, q.n_judgments, q.n_annotators) == (12, 12, 36, 3)
    assert q.percent_agreement.value == pytest.approx(1 / 3)
    assert q.fleiss_kappa is not None
    assert q.fleiss_kappa < 0
    by_name = {a.username: a for a in bad.annotators}
    assert by_name["a"].consensus_agreement == pytest.approx(1.0)
    assert by_name["c"].consensus_agreement == pytest.approx(0.0)
    assert by_name["c"].consensus_compared == 12
    # MV confidence is 2/3 on every item: nothing is under 0.6, everything is under 0.7.
    assert bad.n_low_confidence == 0
    assert report(database, noisy, threshold=0.7).n_low_confidence == 12


def test_gold_accuracy_and_too_fast(database: Database) -> None:
    for name in ("a", "b"):
        person(database, name)
    pid = project(database)
    seed(
        database,
        pid,
        {
            "g1": {"a": (label("pos"), 10_000, 1.0), "b": (label("neg"), 1_000, 0.0)},
            "g2": {"a": (label("neg"), 10_000, 0.0), "b": (label("neg"), 1_500, 1.0)},
            "g3": {"a": (label("pos"), 10_000, 1.0)},
            "x1": {"a": (label("pos"), 10_000, None), "b": (label("pos"), 2_500, None)},
        },
    )
    result = report(database, pid)
    by_name = {a.username: a for a in result.annotators}
    assert (by_name["a"].gold_judged, by_name["a"].gold_accuracy) == (3, pytest.approx(2 / 3))
    assert (by_name["b"].gold_judged, by_name["b"].gold_accuracy) == (2, pytest.approx(0.5))
    assert (by_name["a"].judgments, by_name["b"].judgments) == (4, 3)
    # Median 10 s: the threshold is max(2 s, 2 s) = 2 s; b's 1 s and 1.5 s are too fast, 2.5 s is not.
    assert result.too_fast_ms == 2000
    assert (by_name["a"].too_fast, by_name["b"].too_fast) == (0, 2)
    assert (result.n_items, result.n_judgments) == (4, 7)


def test_position_bias_finds_the_annotator_who_always_picks_a(database: Database) -> None:
    for name in ("lefty", "fair"):
        person(database, name)
    pid = project(database, "cmp", task_type="pairwise")
    payload = pairwise_rows(1)[0]["payload"]
    choice = [{"choice": c, "strength": "better"} for c in ("A", "B")]
    seed(
        database,
        pid,
        {f"p{i}": {"lefty": (choice[0], 5000, None), "fair": (choice[i % 2], 5000, None)} for i in range(12)},
        payload=payload,
    )
    result = report(database, pid)
    by_name = {a.username: a for a in result.annotators}
    lefty, fair = by_name["lefty"], by_name["fair"]
    assert (lefty.position_choices, lefty.position_a_share) == (12, 1.0)
    assert lefty.position_p_value is not None
    assert lefty.position_p_value < 0.001
    assert fair.position_a_share == pytest.approx(0.5)
    assert fair.position_p_value == pytest.approx(1.0)
    assert result.main_question == "choice"


def test_dawid_skene_overturns_a_tied_majority_vote(database: Database) -> None:
    for name in ("good1", "good2", "liar"):
        person(database, name)
    pid = project(database)
    flip = {"pos": "neg", "neg": "pos"}
    answers: Answers = {
        f"i{i}": {
            "good1": (label(t), 9000, None),
            "good2": (label(t), 9000, None),
            "liar": (label(flip[t]), 9000, None),
        }
        for i, t in enumerate(TRUTH)
    }
    # Only a reliable annotator and the one who always answers the opposite: a 1-1 tie.
    answers["tied"] = {"good1": (label("pos"), 9000, None), "liar": (label("neg"), 9000, None)}
    seed(database, pid, answers)

    def tied(result: QualityReport) -> tuple[str, float]:
        rows = [i for i in result.low_confidence if i.external_id == "tied"]
        return (rows[0].consensus, rows[0].confidence) if rows else ("", 1.0)

    mv = report(database, pid, method="mv")
    ds = report(database, pid, method="ds")
    # Majority vote breaks the tie by a fixed rule (here: the smaller label, "neg"), with confidence 1/2.
    assert tied(mv) == ("neg", 0.5)
    # Dawid-Skene learns that the liar's "neg" means "pos".
    assert ds.method == "ds"
    assert all(i.external_id != "tied" for i in ds.low_confidence)
    liar = {a.username: a for a in ds.annotators}["liar"]
    assert liar.ds_accuracy is not None
    assert liar.ds_accuracy < 0.1
    assert liar.ds_answers == 13
    good1 = {a.username: a for a in ds.annotators}["good1"]
    assert good1.consensus_agreement == pytest.approx(1.0)
    assert mv.annotators[0].ds_accuracy == ds.annotators[0].ds_accuracy
    for method in ("glad", "mace"):
        assert report(database, pid, method=method).method == method


def test_every_task_type_yields_questions(database: Database) -> None:
    from quorum.task_types import registry

    names = ["a", "b"]
    for name in names:
        person(database, name)
    for kind in registry.all_types():
        example = kind.example()
        pid = project(database, f"q-{kind.name}", task_type=kind.name, config=example["config"])
        seed(
            database,
            pid,
            {"e1": {"a": (example["answer"], 5000, None), "b": (kind.contrasting_answer(), 5000, None)}},
            payload=example["item"]["payload"],
        )
        result = report(database, pid)
        assert result.questions, kind.name
        assert all(q.n_judgments >= 1 for q in result.questions)
        assert result.to_dict()["project_id"] == pid


def test_bad_options_are_refused(database: Database) -> None:
    pid = project(database)
    with pytest.raises(Invalid, match="method"):
        report(database, pid, method="vote")
    with database.session() as db, pytest.raises(Invalid, match="bootstrap"):
        quality_report(db, find_project(db, pid), n_boot=-1)
    empty = report(database, pid)
    assert (empty.n_items, empty.questions, empty.annotators, empty.main_question) == (0, [], [], None)
