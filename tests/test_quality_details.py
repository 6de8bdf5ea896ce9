"""The quality report's agreement over time, confusion matrices, annotator pairs, ranking agreement and
model scores, on small projects whose answers are worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.optimize import minimize

from factories import person, project
from quorum.accounts.access import find_project
from quorum.accounts.service import get_user
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment, Item, Judgment
from quorum.quality.details import MIN_PAIRABLE, bucket_size
from quorum.quality.service import QualityReport, quality_report
from quorum.task_types import registry

MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RANK_CONFIG = {"allow_ties": True, "flags": []}
CHAT = [{"role": "user", "content": "Which is better?"}]

# rows: (external_id, username, answer, created_at)
Row = tuple[str, str, dict[str, Any], datetime]


def seed(
    database: Database,
    project_id: int,
    rows: list[Row],
    models: dict[str, list[str | None]] | None = None,
) -> None:
    """Items (with candidate models when given), submitted assignments and judgments at given times."""
    with database.session() as db:
        items: dict[str, int] = {}
        for external_id, username, answer, created_at in rows:
            if external_id not in items:
                names = (models or {}).get(external_id)
                payload: dict[str, Any] = {"text": external_id}
                if names is not None:
                    payload = {
                        "messages": CHAT,
                        "candidates": [{"content": f"reply {i}", "model": m} for i, m in enumerate(names)],
                    }
                provenance = [
                    {"position": position, "model": model, "provider": None, "params": {}}
                    for position, model in enumerate(names or [])
                ]
                item = Item(
                    project_id=project_id,
                    external_id=external_id,
                    payload=payload,
                    meta={},
                    candidate_provenance=provenance,
                )
                db.add(item)
                db.flush()
                items[external_id] = item.id
            user = get_user(db, username)
            lease = Assignment(
                project_id=project_id,
                item_id=items[external_id],
                user_id=user.id,
                status="submitted",
                expires_at=utcnow() + timedelta(minutes=15),
            )
            db.add(lease)
            db.flush()
            db.add(
                Judgment(
                    project_id=project_id,
                    item_id=items[external_id],
                    assignment_id=lease.id,
                    user_id=user.id,
                    answer=answer,
                    time_spent_ms=9000,
                    guideline_version=1,
                    created_at=created_at,
                )
            )


def report(database: Database, project_id: int, **options: Any) -> QualityReport:
    with database.session() as db:
        return quality_report(db, find_project(db, project_id), n_boot=options.pop("n_boot", 50), **options)


def label(name: str) -> dict[str, Any]:
    return {"labels": [name]}


def pair(
    item: str, first: str, second: str, when: datetime, names: tuple[str, str] = ("a", "b")
) -> list[Row]:
    return [(item, names[0], label(first), when), (item, names[1], label(second), when)]


def test_alpha_per_day_keeps_pairs_together_and_marks_sparse_days(database: Database) -> None:
    for name in ("a", "b"):
        person(database, name)
    pid = project(database)
    wednesday, saturday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=5)
    rows: list[Row] = []
    # Monday: 10 items, full agreement.
    for i in range(10):
        rows += pair(f"mon{i}", "pos" if i < 5 else "neg", "pos" if i < 5 else "neg", MONDAY)
    # Wednesday: 10 items, b always says the opposite. 10 pos and 10 neg values, every pair disagrees:
    # D_o = 1, D_e = 2 * 10 * 10 / (20 * 19), alpha = 1 - 380 / 200 = -0.9.
    for i in range(10):
        rows += pair(f"wed{i}", "pos" if i < 5 else "neg", "neg" if i < 5 else "pos", wednesday)
    # Saturday: 3 agreed items, plus one a answered on Monday and b on Saturday: it belongs to Saturday.
    rows += pair("sat0", "pos", "pos", saturday) + pair("sat1", "neg", "neg", saturday)
    rows += pair("sat2", "pos", "pos", saturday)
    rows += [("late", "a", label("pos"), MONDAY), ("late", "b", label("pos"), saturday)]
    seed(database, pid, rows)

    trend = report(database, pid).trend
    assert trend is not None
    assert (trend.question, trend.unit, trend.min_pairable) == ("label", "day", MIN_PAIRABLE)
    mon, wed, sat = trend.points
    assert [p.start for p in trend.points] == [
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 4, tzinfo=UTC),
        datetime(2026, 3, 7, tzinfo=UTC),
    ]
    assert mon.end == datetime(2026, 3, 3, tzinfo=UTC)
    assert (mon.n_items, mon.n_items_pairable, mon.n_judgments, mon.sparse) == (10, 10, 20, False)
    assert mon.alpha.value == pytest.approx(1.0)
    assert wed.alpha.value == pytest.approx(-0.9)
    # Every Wednesday item is one pos and one neg, so every resample gives the same alpha.
    assert (wed.alpha.ci_low, wed.alpha.ci_high) == (pytest.approx(-0.9), pytest.approx(-0.9))
    assert (sat.n_items, sat.n_items_pairable, sat.n_judgments, sat.sparse) == (4, 4, 8, True)
    assert sat.alpha.value == pytest.approx(1.0)


def test_the_bucket_widens_with_the_span(database: Database) -> None:
    for name in ("a", "b"):
        person(database, name)
    hours, weeks = project(database, "hours"), project(database, "weeks")
    seed(
        database,
        hours,
        pair("h0", "pos", "pos", MONDAY) + pair("h1", "neg", "pos", MONDAY + timedelta(hours=5)),
    )
    seed(
        database,
        weeks,
        pair("w0", "pos", "pos", MONDAY) + pair("w1", "neg", "pos", MONDAY + timedelta(days=200)),
    )
    by_hour, by_week = report(database, hours).trend, report(database, weeks).trend
    assert by_hour is not None and by_week is not None
    assert by_hour.unit == "hour"
    assert [p.start for p in by_hour.points] == [
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        datetime(2026, 3, 2, 14, tzinfo=UTC),
    ]
    # 200 days is more than 60 days and less than 60 weeks: weekly buckets starting on Mondays.
    assert by_week.unit == "week"
    assert by_week.points[0].start == datetime(2026, 3, 2, tzinfo=UTC)
    assert by_week.points[1].start.weekday() == 0
    # One item, one disagreement: D_o = D_e = 1, alpha 0 from a single item, which is marked sparse.
    assert by_week.points[1].alpha.value == pytest.approx(0.0)
    assert by_week.points[1].sparse


def test_bucket_sizes_for_long_spans() -> None:
    assert bucket_size(MONDAY, MONDAY + timedelta(hours=59)) == ("hour", 3600)
    assert bucket_size(MONDAY, MONDAY + timedelta(hours=61)) == ("day", 86_400)
    assert bucket_size(MONDAY, MONDAY + timedelta(days=730)) == ("4 weeks", 28 * 86_400)
    # 3,650 days: 130 four-week buckets, 65 eight-week ones, 43 twelve-week ones.
    assert bucket_size(MONDAY, MONDAY + timedelta(days=3650)) == ("12 weeks", 84 * 86_400)


def test_confusion_matrix_of_an_annotator_who_always_flips(database: Database) -> None:
    for name in ("good1", "good2", "liar"):
        person(database, name)
    pid = project(database)
    flip = {"pos": "neg", "neg": "pos"}
    rows: list[Row] = []
    for i, truth in enumerate(["pos", "neg"] * 6):
        rows += [
            (f"i{i}", "good1", label(truth), MONDAY),
            (f"i{i}", "good2", label(truth), MONDAY),
            (f"i{i}", "liar", label(flip[truth]), MONDAY),
        ]
    seed(database, pid, rows)
    result = report(database, pid)
    by_name = {c.username: c for c in result.confusion}
    assert sorted(by_name) == ["good1", "good2", "liar"]
    liar, good = by_name["liar"], by_name["good1"]
    # Labels in sorted order; rows are the true label, columns the answer.
    assert liar.labels == ["neg", "pos"]
    assert liar.n_answers == 12
    assert np.array(liar.matrix, dtype=float) == pytest.approx(np.array([[0.0, 1.0], [1.0, 0.0]]), abs=1e-3)
    assert np.array(liar.counts) == pytest.approx(np.array([[0.0, 6.0], [6.0, 0.0]]), abs=1e-2)
    assert np.array(good.matrix, dtype=float) == pytest.approx(np.eye(2), abs=1e-3)
    assert result.to_dict()["confusion"][2]["username"] == "liar"


def test_cohen_kappa_for_pairs_with_enough_shared_items(database: Database) -> None:
    for name in ("a", "b", "c"):
        person(database, name)
    pid = project(database)
    rows: list[Row] = []
    # a and b share 6 items: a = pos x3, neg x3; b = pos x2, neg x4. Table [[2, 1], [0, 3]]:
    # p_o = 5/6, p_e = 1/2 * 2/6 + 1/2 * 4/6 = 1/2, kappa = (5/6 - 1/2) / (1/2) = 2/3.
    for i, (x, y) in enumerate(
        zip(["pos"] * 3 + ["neg"] * 3, ["pos", "pos", "neg", "neg", "neg", "neg"], strict=True)
    ):
        rows += pair(f"ab{i}", x, y, MONDAY)
    # a and c share 5 items and always agree (both labels used): kappa 1.
    for i, x in enumerate(["pos", "neg", "pos", "neg", "neu"]):
        rows += pair(f"ac{i}", x, x, MONDAY, ("a", "c"))
    # b and c share 2 items: too few to list.
    for i in range(2):
        rows += pair(f"bc{i}", "pos", "neg", MONDAY, ("b", "c"))
    seed(database, pid, rows)
    pairs = report(database, pid).pairs
    assert pairs is not None
    assert (pairs.question, pairs.weights, pairs.min_shared) == ("label", "none", 5)
    assert (pairs.n_pairs, pairs.n_pairs_enough) == (3, 2)
    ab, ac = pairs.pairs
    assert (ab.first, ab.second, ab.n_shared) == ("a", "b", 6)
    assert ab.kappa.value == pytest.approx(2 / 3)
    assert ab.agreement == pytest.approx(5 / 6)
    assert ab.kappa.ci_low is not None and ab.kappa.ci_high is not None
    assert (ac.first, ac.second, ac.n_shared) == ("a", "c", 5)
    assert ac.kappa.value == pytest.approx(1.0)
    assert ab.mean_tau is None  # not a ranking project


def test_mean_kendall_tau_between_rankings(database: Database) -> None:
    for name in ("a", "b", "c"):
        person(database, name)
    pid = project(database, "rank", task_type="ranking", config=RANK_CONFIG)
    models = {"r1": ["x", "y", "z"], "r2": ["x", "y", "z"], "solo": ["x", "y", "z"]}
    seed(
        database,
        pid,
        [
            # r1: a and b agree (tau 1); c reverses both (tau -1 twice).
            ("r1", "a", {"order": [[0], [1], [2]]}, MONDAY),
            ("r1", "b", {"order": [[0], [1], [2]]}, MONDAY),
            ("r1", "c", {"order": [[2], [1], [0]]}, MONDAY),
            # r2: a ties 1 and 2, b does not: 2 concordant pairs, tau-b = 2 / sqrt(2 * 3).
            ("r2", "a", {"order": [[0], [1, 2]]}, MONDAY),
            ("r2", "b", {"order": [[0], [1], [2]]}, MONDAY),
            ("solo", "a", {"order": [[0], [1], [2]]}, MONDAY),
        ],
        models=models,
    )
    result = report(database, pid)
    ranks = result.rank_agreement
    assert ranks is not None
    # Pooled over the 4 pairs of rankings of the 2 items ranked twice or more.
    assert ranks.mean_tau.value == pytest.approx((1 - 1 - 1 + 2 / math.sqrt(6)) / 4)
    assert (ranks.n_items, ranks.n_pairs) == (2, 4)
    # Every ranking of 3 is 3 comparisons of named models; x was never beaten.
    assert result.models is not None
    assert (result.models.n_answers, result.models.n_comparisons) == (6, 18)
    assert result.models.models[0].model == "x"


def test_comparisons_from_one_answer() -> None:
    pairwise, ranking = registry.get("pairwise"), registry.get("ranking")
    assert pairwise.comparisons({"choice": "A", "strength": "better"}) == [(0, 1, 1.0)]
    assert pairwise.comparisons({"choice": "B", "strength": "better"}) == [(0, 1, 0.0)]
    assert pairwise.comparisons({"choice": "tie"}) == [(0, 1, 0.5)]
    assert ranking.comparisons({"order": [[2], [0, 1]]}) == [(0, 1, 0.5), (0, 2, 0.0), (1, 2, 0.0)]
    assert registry.get("classification").comparisons({"labels": ["a"]}) is None


def bt_reference(wins: float, losses: float, ties: float) -> float:
    """Bradley-Terry by direct maximisation for two models (one tie each with a reference of strength 1,
    a tie half a win): the first model's log-strength less the mean of both."""

    def loss(theta: np.ndarray[Any, Any]) -> float:
        a, b = theta
        p = 1 / (1 + math.exp(b - a))
        won = wins + ties / 2
        lost = losses + ties / 2
        prior = sum(
            0.5 * math.log(1 / (1 + math.exp(-t))) + 0.5 * math.log(1 / (1 + math.exp(t))) for t in theta
        )
        return -(won * math.log(p) + lost * math.log(1 - p) + prior)

    a, b = minimize(loss, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    return float(a - (a + b) / 2)


def test_bradley_terry_over_models_follows_positions_and_splits_ties(database: Database) -> None:
    for name in ("a", "b"):
        person(database, name)
    pid = project(database, "cmp", task_type="pairwise")
    rows: list[Row] = []
    models: dict[str, list[str | None]] = {}
    # big wins 6 (3 times as A, 3 times as B when it is shown second), loses 2, ties 2.
    outcomes = [("A", "big-small")] * 3 + [("B", "small-big")] * 3 + [("A", "small-big")] * 2
    outcomes += [("tie", "big-small")] * 2
    for i, (choice, order) in enumerate(outcomes):
        models[f"c{i}"] = order.split("-")  # type: ignore[assignment]
        answer: dict[str, Any] = (
            {"choice": choice} if choice == "tie" else {"choice": choice, "strength": "better"}
        )
        rows.append((f"c{i}", "a" if i % 2 else "b", answer, MONDAY))
    # Skipped: a candidate without a model name, and both candidates from one model.
    models["anon"], models["same"] = ["big", None], ["small", "small"]
    rows += [("anon", "a", {"choice": "A", "strength": "better"}, MONDAY)]
    rows += [("same", "a", {"choice": "A", "strength": "better"}, MONDAY)]
    seed(database, pid, rows, models=models)

    ranking = report(database, pid, n_boot=200).models
    assert ranking is not None
    assert (ranking.n_answers, ranking.n_comparisons, ranking.n_skipped) == (10, 10, 2)
    big, small = ranking.models
    assert (big.model, big.wins, big.ties, big.losses, big.n_comparisons) == ("big", 6, 2, 2, 10)
    assert (small.model, small.wins, small.ties, small.losses) == ("small", 2, 2, 6)
    assert big.win_rate == pytest.approx(0.7)
    expected = bt_reference(6, 2, 2)
    assert big.score.value == pytest.approx(expected, abs=1e-5)
    assert small.score.value == pytest.approx(-expected, abs=1e-5)
    assert big.score.ci_low is not None and big.score.ci_high is not None
    assert big.score.ci_low < expected < big.score.ci_high


def test_new_sections_over_http(client: TestClient, database: Database) -> None:
    boss, a, b = (person(database, n) for n in ("boss", "a", "b"))
    pid = project(database, members={boss: "manager"})
    cmp = project(database, "cmp", task_type="pairwise", members={boss: "manager"})
    seed(
        database, pid, pair("x1", "pos", "pos", MONDAY) + pair("x2", "neg", "pos", MONDAY + timedelta(days=1))
    )
    seed(
        database,
        cmp,
        [("p1", "a", {"choice": "A", "strength": "better"}, MONDAY)],
        models={"p1": ["m1", "m2"]},
    )
    body = client.get(f"/api/v1/projects/{pid}/quality", headers=boss.headers, params={"bootstrap": 0}).json()
    assert body["trend"]["unit"] == "hour"
    first = body["trend"]["points"][0]
    assert first["start"] == "2026-03-02T09:00:00+00:00"
    assert first["sparse"] is True
    assert {"value", "ci_low", "ci_high"} == set(first["alpha"])
    assert {c["username"] for c in body["confusion"]} == {a.username, b.username}
    assert body["pairs"]["n_pairs"] == 1
    assert body["pairs"]["pairs"] == []
    assert body["models"] is None
    assert body["rank_agreement"] is None
    assert body["rules"]["models"]

    other = client.get(
        f"/api/v1/projects/{cmp}/quality", headers=boss.headers, params={"bootstrap": 0}
    ).json()
    assert [m["model"] for m in other["models"]["models"]] == ["m1", "m2"]
    assert other["models"]["models"][0]["wins"] == 1
    assert other["models"]["models"][0]["score"]["ci_low"] is None


def test_quality_page_shows_the_new_sections(client: TestClient, database: Database) -> None:
    boss, _, _ = (person(database, n) for n in ("boss", "a", "b"))
    pid = project(database, "rank", task_type="ranking", config=RANK_CONFIG, members={boss: "manager"})
    rows: list[Row] = []
    models: dict[str, list[str | None]] = {}
    for i in range(6):
        models[f"r{i}"] = ["big", "mid", "tiny"]
        rows += [
            (f"r{i}", "a", {"order": [[0], [1], [2]]}, MONDAY + timedelta(days=i)),
            (
                f"r{i}",
                "b",
                {"order": [[1], [0], [2]] if i % 2 else [[0], [1], [2]]},
                MONDAY + timedelta(days=i),
            ),
        ]
    seed(database, pid, rows, models=models)
    r = client.post("/login", data={"username": "boss", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/projects/{pid}/quality", params={"bootstrap": 20})
    assert page.status_code == 200, page.text
    text = page.text
    assert 'id="agreement-trend-chart"' in text
    # Six days, one item a day, every row marked sparse. On rank.0 (the main question) alpha is 0 on
    # the 3 days b disagrees and undefined on the 3 days both answer 1: those are listed, not drawn.
    assert text.count('<tr class="sparse">') == 6
    assert text.count('class="point sparse"') == 3
    assert text.count('<td class="num">–</td>') >= 3
    assert 'id="confusion"' in text and "<summary>a " in text
    assert 'id="annotator-pairs"' in text and "a · b" in text
    assert 'id="rank-agreement"' in text
    (ab,) = report(database, pid, n_boot=0).pairs.pairs  # type: ignore[union-attr]
    # Per pair, Kendall's tau over the 6 shared rankings: 1 three times and 1/3 three times.
    assert (ab.first, ab.second, ab.n_shared, ab.mean_tau) == ("a", "b", 6, pytest.approx(2 / 3))
    assert '<th class="num">Mean Kendall\'s tau</th>' in text
    # b swaps big and mid on 3 of 6 items: tau 1 three times and 1/3 three times, mean 2/3.
    assert "Mean Kendall's tau-b between annotators: <strong>0.67 " in text
    assert 'id="models-table"' in text
    assert text.index("<td>big</td>") < text.index("<td>mid</td>")
