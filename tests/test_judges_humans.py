"""Judges never count as people: for each human statistic (agreement, gold scores, consensus, the
quality report, exports' people's columns), a judge that contradicts every person leaves it exactly as it
was, while its verdicts are there (the test could fail). And routing: a confident, order-consistent
judge lowers targets; a judge the first person contradicts asks for one more person; off, the submit
path never reads a verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from factories import person, project
from fake_openai import FakeOpenAI
from generation_support import add_model, fake
from judges_support import answer_next, attach, right, run, setup, wrong
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Item, JudgeVerdict
from test_quality_service import seed

__all__ = ["fake"]

Stat = Callable[[TestClient, Any, int], Any]


def _quality(client: TestClient, boss: Any, pid: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/projects/{pid}/quality", params={"bootstrap": 50}, headers=boss.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _export(client: TestClient, boss: Any, pid: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/projects/{pid}/export", headers=boss.headers)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


STATISTICS: dict[str, Stat] = {
    "human_agreement": lambda c, b, p: [
        (q["question"], q["alpha"], q["n_items_pairable"]) for q in _quality(c, b, p)["questions"]
    ],
    "gold_scoring": lambda c, b, p: sorted(
        (a["username"], a["gold_accuracy"], a["gold_judged"]) for a in _quality(c, b, p)["annotators"]
    ),
    "consensus": lambda c, b, p: [(r["external_id"], r["consensus"]) for r in _export(c, b, p)],
    "quality_report": lambda c, b, p: {
        k: v for k, v in _quality(c, b, p).items() if k not in ("generated_at", "computed_at", "cache")
    },
    "export_human_columns": lambda c, b, p: [
        {k: v for k, v in r.items() if k != "judges"} for r in _export(c, b, p)
    ],
}


@pytest.mark.parametrize("statistic", sorted(STATISTICS))
def test_a_judge_changes_no_human_statistic(
    statistic: str, client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    add_model(database, "judge-model", fake.url)
    boss, rev, ann = (person(database, n) for n in ("boss", "rev", "ann"))
    pid = project(database, members={boss: "manager", rev: "reviewer", ann: "annotator"})
    seed(
        database,
        pid,
        {
            "x1": {"ann": ({"labels": ["pos"]}, 4000, None), "rev": ({"labels": ["pos"]}, 6000, 1.0)},
            "x2": {"ann": ({"labels": ["neg"]}, 5000, None), "rev": ({"labels": ["pos"]}, 6000, 0.0)},
            "x3": {"ann": ({"labels": ["neg"]}, 5000, None), "rev": ({"labels": ["neg"]}, 6000, None)},
        },
    )
    measure = STATISTICS[statistic]
    before = measure(client, boss, pid)
    r = client.post(f"/api/v1/projects/{pid}/judges", json={"model": "judge-model"}, headers=boss.headers)
    assert r.status_code == 201
    # A judge that contradicts everyone, with confidence: were it counted, every statistic would move.
    fake.respond = lambda body: json.dumps({"answer": {"labels": ["neu"]}, "confidence": 1.0})
    job = client.post(f"/api/v1/projects/{pid}/judges/run", json={}, headers=boss.headers).json()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=boss.headers).json()["result"]["judged"] == 3
    assert measure(client, boss, pid) == before
    rows = _export(client, boss, pid)
    assert [r["judges"] for r in rows] == [
        [{"model": "judge-model", "answer": {"labels": ["neu"]}, "consistent": None, "confidence": 1.0}]
    ] * 3
    assert all("judge-model" not in json.dumps(r["judgments"]) for r in rows)
    report = client.get(f"/api/v1/projects/{pid}/judges/report", headers=boss.headers).json()
    # ...while the judges' own report sees it disagree with everyone.
    assert report["judges"][0]["vs_humans"]["percent"]["value"] == 0.0


def _targets(database: Database) -> list[tuple[str, int | None, str, int]]:
    with database.session() as db:
        return [
            (i.external_id, i.overlap_target, i.status, i.judgment_count)
            for i in db.scalars(select(Item).order_by(Item.id))
        ]


def test_a_confident_consistent_judge_lowers_targets_and_an_agreeing_person_completes(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=3, overlap=2)
    attach(client, s, routing=True, min_confidence=0.8, lowered_target=1)
    fake.respond = right(confidence=0.9)
    assert run(client, s)["result"]["targets_lowered"] == 3
    assert [t[1] for t in _targets(database)] == [1, 1, 1]
    for _ in range(3):
        answer_next(client, s.people[0], s.pid, "A")  # agrees with the judge
    assert [(t[2], t[3]) for t in _targets(database)] == [("complete", 1)] * 3
    assert answer_next(client, s.people[1], s.pid, "A") is None  # saved: nobody else is asked


def test_an_unsure_or_inconsistent_judge_lowers_nothing(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2, overlap=2)
    attach(client, s, routing=True, min_confidence=0.8)
    fake.respond = right(confidence=0.6)
    assert run(client, s)["result"]["targets_lowered"] == 0
    fake.respond = lambda body: json.dumps({"answer": {"choice": "A", "strength": "better"}, "confidence": 1})
    assert run(client, s, redo=True)["result"]["targets_lowered"] == 0  # flips with the order
    assert [t[1] for t in _targets(database)] == [None, None]


def test_a_first_person_who_disagrees_with_the_judge_asks_for_one_more(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2, overlap=1)
    attach(client, s, routing=True)
    fake.respond = wrong(confidence=0.5)  # says B; unsure, so it lowers nothing
    run(client, s)
    answer_next(client, s.people[0], s.pid, "A")
    answer_next(client, s.people[0], s.pid, "B")
    # Both items asked item by item: the one whose person said A (against the judge) wants a second.
    states = {t[0]: t[1:] for t in _targets(database)}
    assert sorted(states.values(), key=repr) == [(2, "open", 1), (None, "complete", 1)]
    answer_next(client, s.people[1], s.pid, "A")
    assert sorted(t[2] for t in _targets(database)) == ["complete", "complete"]


def test_with_routing_off_the_submit_reads_no_verdict(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2, overlap=1)
    attach(client, s)  # routing off
    fake.respond = wrong(confidence=1.0)
    run(client, s)
    with database.session() as db:
        assert len(list(db.scalars(select(JudgeVerdict)))) == 2
    seen: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", spy)
    try:
        answer_next(client, s.people[0], s.pid, "A")
    finally:
        event.remove(database.engine, "before_cursor_execute", spy)
    assert seen and not any("judge_verdicts" in q or "FROM judges" in q for q in seen)
    assert sorted(t[2] for t in _targets(database)) == ["complete", "open"]  # no extra person asked


def test_the_report_section_recovers_a_planted_judge_accuracy(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    """``judges.report.section`` called directly: people always agree with each other; the judge is
    wrong on every fourth item, so its agreement with the consensus is exactly 0.75."""
    from quorum.accounts.access import find_project
    from quorum.judges.report import section

    build_queue(settings, database, immediate=True)
    add_model(database, "judge-model", fake.url)
    boss, rev, ann = (person(database, n) for n in ("boss", "rev", "ann"))
    pid = project(database, members={boss: "manager", rev: "reviewer", ann: "annotator"})
    labels = ["pos", "neg", "neu"]
    seed(
        database,
        pid,
        {
            f"i{n:03}": {
                "ann": ({"labels": [labels[n % 3]]}, 4000, None),
                "rev": ({"labels": [labels[n % 3]]}, 4000, None),
            }
            for n in range(60)
        },
    )

    def respond(body: dict[str, Any]) -> str:
        n = int(json.loads(body["messages"][-1]["content"])["text"][1:])
        given = labels[n % 3] if n % 4 else labels[(n + 1) % 3]
        return json.dumps({"answer": {"labels": [given]}, "confidence": 0.9})

    fake.respond = respond
    client.post(f"/api/v1/projects/{pid}/judges", json={"model": "judge-model"}, headers=boss.headers)
    client.post(f"/api/v1/projects/{pid}/judges/run", json={}, headers=boss.headers)
    with database.session() as db:
        found = section(db, find_project(db, pid), n_boot=200)
    (judge,) = found["judges"]
    assert judge["verdicts"] == 60 and judge["order_consistency"]["rate"] is None  # one order only
    assert judge["routing"] == {
        "on": False, "min_confidence": 0.8, "lowered_target": 1, "confident_verdicts": 60,
    }  # fmt: skip
    for key in ("vs_consensus", "vs_humans"):
        percent = judge[key]["percent"]
        assert percent["value"] == 0.75 and percent["low"] < 0.75 < percent["high"]
    same = judge["same_items"]
    assert same["items"] == 60 and same["human_vs_human"]["percent"]["value"] == 1.0
    assert same["human_vs_human"]["kappa"]["value"] == 1.0 and same["judge_vs_humans"]["pairs"] == 120
