"""Adaptive overlap: agreement completes an item at the minimum, disagreement asks for more, up to the max."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from crowd_plan import CROWD, history_plan, work
from factories import import_rows, person, project, text_rows
from quorum.config import Settings
from quorum.core.policy import ProjectPolicy, next_target
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Item

ANSWERS = {  # (annotator, item) -> label
    ("a", "t0"): "pos",
    ("b", "t0"): "pos",
    ("a", "t1"): "pos",
    ("b", "t1"): "neg",
    ("c", "t1"): "pos",
    ("d", "t1"): "pos",
}


def test_disagreement_asks_for_more_judgments_up_to_the_max(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    people = {name: person(database, name) for name in "abcd"}
    pid = project(database, "adaptive", overlap=2, members={p: "annotator" for p in people.values()})
    r = client.patch(f"/api/v1/projects/{pid}", json={"overlap_max": 4}, headers=admin.headers)
    assert r.status_code == 200, r.text
    import_rows(client, admin, pid, text_rows(2))
    served: dict[str, list[str]] = {}
    for name in "abcd":
        who = people[name]
        while (r := client.post(f"/api/v1/projects/{pid}/next", headers=who.headers)).status_code == 200:
            task = r.json()["assignment"]
            item = task["item"]["external_id"]
            served.setdefault(item, []).append(name)
            s = client.post(
                f"/api/v1/assignments/{task['id']}/submit",
                json={"answer": {"labels": [ANSWERS[name, item]]}, "time_spent_ms": 5},
                headers=who.headers,
            )
            assert s.status_code == 201, s.text
    # t0: a and b agree, done at the minimum. t1: a and b disagree, c sides with a (2 to 1 is not
    # unanimous), d makes four, the maximum: done.
    assert served == {"t0": ["a", "b"], "t1": ["a", "b", "c", "d"]}
    with database.session() as db:
        rows = db.execute(
            select(Item.external_id, Item.status, Item.judgment_count, Item.overlap_target)
        ).all()
    assert sorted(rows) == [("t0", "complete", 2, None), ("t1", "complete", 4, 4)]


def test_an_overlap_max_under_the_overlap_is_refused(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p", overlap=3)
    r = client.patch(f"/api/v1/projects/{pid}", json={"overlap_max": 2}, headers=admin.headers)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/projects/{pid}", json={"overlap_rule": "coin"}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "overlap_rule"


@given(st.integers(1, 5), st.one_of(st.none(), st.integers(1, 8)), st.integers(0, 9), st.booleans())
def test_next_target_never_passes_the_max_and_never_stops_early(
    overlap: int, overlap_max: int | None, judgments: int, conclusive: bool
) -> None:
    # The policy refuses a max under the overlap.
    assume(overlap_max is None or overlap_max >= overlap)
    project = ProjectPolicy(overlap=overlap, overlap_max=overlap_max)
    after = next_target(project, judgments, overlap, conclusive)
    if judgments < overlap:
        assert after == overlap
    elif after is not None:
        assert overlap_max is not None and not conclusive
        assert after == judgments + 1 <= overlap_max
    else:
        assert conclusive or overlap_max is None or judgments >= overlap_max


def test_model_based_overlap_trusts_reliable_annotators(
    client: TestClient, database: Database, settings: Settings
) -> None:
    """``dawid_skene``: two reliable annotators who agree settle an item at the minimum; noisy ones who
    agree (unanimous, which the agreement rule would accept) or disagree are asked for more, up to the
    max; a reliable annotator outweighs a noisy one who disagrees."""
    admin = person(database, "admin", admin=True)
    people = {name: person(database, name) for name in CROWD}
    pid = project(database, "model", overlap=6, members={p: "annotator" for p in people.values()})
    import_rows(client, admin, pid, text_rows(30, prefix="h"))
    work(database, pid, history_plan(30), CROWD)
    r = client.patch(
        f"/api/v1/projects/{pid}",
        json={"overlap": 2, "overlap_max": 4, "overlap_rule": "dawid_skene", "confidence_target": 0.95},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    # The model is fitted by a job, never in a submit: ask for it now (the immediate queue runs it).
    build_queue(settings, database, immediate=True)
    job = client.post(
        "/api/v1/jobs", json={"kind": "consensus_refit", "project": str(pid)}, headers=admin.headers
    )
    assert job.status_code == 202, job.text
    refit = client.get(f"/api/v1/jobs/{job.json()['id']}", headers=admin.headers).json()
    assert (refit["status"], refit["result"]["n_judgments"], refit["result"]["model"]) == (
        "succeeded",
        180,
        True,
    )
    assert (refit["label"], refit["summary"]) == ("Annotator model refit", "fit 1 over 180 judgments")
    import_rows(client, admin, pid, text_rows(4, prefix="y"))
    plan = {
        ("r1", "y0"): "pos",  # reliable pair agreeing
        ("r2", "y0"): "pos",
        ("n1", "y1"): "neg",  # noisy ones agreeing
        ("n2", "y1"): "neg",
        ("n3", "y1"): "neg",
        ("n4", "y1"): "neg",
        ("n1", "y2"): "pos",  # noisy ones disagreeing
        ("n2", "y2"): "neg",
        ("n3", "y2"): "neu",
        ("n4", "y2"): "pos",
        ("r1", "y3"): "neu",  # reliable against noisy
        ("n1", "y3"): "pos",
    }
    work(database, pid, plan, CROWD)
    with database.session() as db:
        rows = db.execute(
            select(Item.external_id, Item.status, Item.judgment_count, Item.overlap_target).where(
                Item.external_id.like("y%")
            )
        ).all()
    assert sorted(rows) == [
        ("y0", "complete", 2, None),
        ("y1", "complete", 4, 4),
        ("y2", "complete", 4, 4),
        ("y3", "complete", 2, None),
    ]


def test_model_based_overlap_falls_back_to_agreement_without_data(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    people = {name: person(database, name) for name in "ab"}
    pid = project(database, "fresh", overlap=2, members={p: "annotator" for p in people.values()})
    r = client.patch(
        f"/api/v1/projects/{pid}",
        json={"overlap_max": 3, "overlap_rule": "dawid_skene", "confidence_target": 0.95},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    import_rows(client, admin, pid, text_rows(2))
    plan = {("a", "t0"): "pos", ("b", "t0"): "pos", ("a", "t1"): "pos", ("b", "t1"): "neg"}
    work(database, pid, plan, ("a", "b"))
    with database.session() as db:
        rows = db.execute(select(Item.external_id, Item.status, Item.overlap_target)).all()
    # Two answers are no data for a model: unanimity completes t0, the split asks for a third on t1.
    assert sorted(rows) == [("t0", "complete", None), ("t1", "open", 3)]
