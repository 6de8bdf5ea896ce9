"""Review: sampling, the queue, verdicts and their checks, and what corrections and rejections do to the
exported consensus and to annotator scores."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from factories import Person, import_rows, person, project, text_rows
from quorum.db import Database
from quorum.reviews.service import sampled


def test_sampling_is_deterministic_and_roughly_respects_the_rate() -> None:
    ids = range(1, 1001)
    first = [i for i in ids if sampled(i, 0.2)]
    assert first == [i for i in ids if sampled(i, 0.2)]
    assert 150 <= len(first) <= 250
    # A higher rate keeps everything a lower one picked: the hash is compared, not redrawn.
    assert set(first) <= {i for i in ids if sampled(i, 0.5)}
    assert not any(sampled(i, 0.0) for i in ids)
    assert all(sampled(i, 1.0) for i in ids)


def _setup(
    client: TestClient, database: Database, names: str, n_items: int, overlap: int, **policy: Any
) -> tuple[int, Person, dict[str, Person], Person]:
    """A project with annotators named by the letters of ``names`` and one reviewer, ``rev``."""
    admin = person(database, "admin", admin=True)
    annotators = {name: person(database, name) for name in names}
    reviewer = person(database, "rev")
    members = {**{p: "annotator" for p in annotators.values()}, reviewer: "reviewer"}
    pid = project(database, "reviewed", overlap=overlap, members=members)
    if policy:
        r = client.patch(f"/api/v1/projects/{pid}", json=policy, headers=admin.headers)
        assert r.status_code == 200, r.text
    import_rows(client, admin, pid, text_rows(n_items))
    return pid, admin, annotators, reviewer


def _judge(client: TestClient, who: Person, pid: int, labels: dict[str, str]) -> dict[str, int]:
    """Work the queue until empty, answering per item; returns external id -> judgment id."""
    made: dict[str, int] = {}
    while (r := client.post(f"/api/v1/projects/{pid}/next", headers=who.headers)).status_code == 200:
        task = r.json()["assignment"]
        external = task["item"]["external_id"]
        s = client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": {"labels": [labels[external]]}, "time_spent_ms": 1000},
            headers=who.headers,
        )
        assert s.status_code == 201, s.text
        made[external] = s.json()["judgment"]["id"]
    return made


def _review(client: TestClient, who: Person, judgment_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/judgments/{judgment_id}/review", json=body, headers=who.headers)


def test_low_confidence_items_enter_the_queue(client: TestClient, database: Database) -> None:
    pid, _, people, reviewer = _setup(client, database, "ab", 2, 2, review_confidence=0.9)
    a = _judge(client, people["a"], pid, {"t0": "pos", "t1": "pos"})
    b = _judge(client, people["b"], pid, {"t0": "pos", "t1": "neg"})
    r = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=reviewer.headers)
    assert r.status_code == 200, r.text
    # t0 is unanimous (confidence 1.0) and the review rate is 0: only t1's two judgments wait.
    assert [(j["id"], j["annotator"]) for j in r.json()] == [(a["t1"], "a"), (b["t1"], "b")]
    assert _review(client, reviewer, a["t1"], verdict="accept").status_code == 201
    r = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=reviewer.headers)
    assert [j["id"] for j in r.json()] == [b["t1"]]


def test_sampled_judgments_enter_the_queue_and_never_the_reviewers_own(
    client: TestClient, database: Database
) -> None:
    pid, _, people, reviewer = _setup(client, database, "a", 3, 2, review_rate=1.0)
    mine = _judge(client, reviewer, pid, {"t0": "pos", "t1": "neg", "t2": "neu"})
    theirs = _judge(client, people["a"], pid, {"t0": "pos", "t1": "neg", "t2": "neu"})
    r = client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=reviewer.headers)
    assert sorted(j["id"] for j in r.json()) == sorted(theirs.values())
    r = _review(client, reviewer, mine["t0"], verdict="accept")
    assert r.status_code == 403, r.text
    assert "own" in r.json()["error"]["message"]
    assert _review(client, reviewer, theirs["t0"], verdict="accept").status_code == 201
    assert _review(client, reviewer, theirs["t0"], verdict="accept").status_code == 409


def test_verdicts_and_roles_are_checked(client: TestClient, database: Database) -> None:
    pid, admin, people, reviewer = _setup(client, database, "ab", 1, 2, review_rate=1.0)
    made = _judge(client, people["a"], pid, {"t0": "pos"})
    r = _review(client, reviewer, made["t0"], verdict="reject", reason="  ")
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["error"]["details"]] == ["reason"]
    r = _review(client, reviewer, made["t0"], verdict="correct", corrected_answer={"labels": ["happy"]})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "corrected_answer.labels.0"
    assert "corrected_answer" in r.json()["error"]["message"]
    r = _review(client, reviewer, made["t0"], verdict="correct")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "corrected_answer"
    r = _review(client, reviewer, made["t0"], verdict="maybe")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "verdict"
    assert _review(client, reviewer, 10_000, verdict="accept").status_code == 404

    annotator = people["b"]
    assert client.get(f"/api/v1/projects/{pid}/reviews/queue", headers=annotator.headers).status_code == 403
    assert _review(client, annotator, made["t0"], verdict="accept").status_code == 403
    assert client.get(f"/api/v1/projects/{pid}/reviews", headers=annotator.headers).status_code == 403
    assert client.get(f"/api/v1/projects/{pid}/reviews", headers=reviewer.headers).status_code == 403
    assert client.get(f"/api/v1/projects/{pid}/reviews", headers=admin.headers).status_code == 200
    r = client.patch(f"/api/v1/projects/{pid}", json={"review_rate": 1.5}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "review_rate"


def test_corrections_and_rejections_shape_the_exported_consensus(
    client: TestClient, database: Database
) -> None:
    pid, admin, people, reviewer = _setup(client, database, "abc", 2, 3, review_rate=1.0)
    a = _judge(client, people["a"], pid, {"t0": "pos", "t1": "pos"})
    b = _judge(client, people["b"], pid, {"t0": "pos", "t1": "neg"})
    c = _judge(client, people["c"], pid, {"t0": "pos", "t1": "neg"})
    r = _review(client, reviewer, a["t0"], verdict="correct", corrected_answer={"labels": ["neu"]})
    assert r.status_code == 201, r.text
    assert r.json()["corrected_answer"] == {"labels": ["neu"]}
    assert _review(client, reviewer, b["t0"], verdict="accept", comment="fine").status_code == 201
    for judgment in (b["t1"], c["t1"]):
        r = _review(client, reviewer, judgment, verdict="reject", reason="did not read the text")
        assert r.status_code == 201, r.text

    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "jsonl"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    rows = {row["external_id"]: row for row in map(json.loads, r.text.splitlines())}
    assert rows["t0"]["consensus"] == {
        "answer": {"labels": ["neu"]},
        "confidence": 1.0,
        "method": "review",
        "n_judgments": 3,
    }
    # Two of three said neg, but both were rejected: the one remaining judgment decides.
    assert rows["t1"]["consensus"]["answer"] == {"labels": ["pos"]}
    assert rows["t1"]["consensus"]["n_judgments"] == 1
    assert len(rows["t1"]["judgments"]) == 3
    labelled = client.get(
        f"/api/v1/projects/{pid}/export", params={"format": "labels"}, headers=admin.headers
    )
    assert [json.loads(line)["label"] for line in labelled.text.splitlines()] == ["neu", "pos"]

    r = client.get(f"/api/v1/projects/{pid}/reviews", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["verdict"] for x in body["reviews"]] == ["correct", "accept", "reject", "reject"]
    assert body["reviews"][2]["reason"] == "did not read the text"
    stats = {s["annotator"]: s for s in body["annotators"]}
    assert stats["a"] == {
        "annotator": "a",
        "accepted": 0,
        "rejected": 0,
        "corrected": 1,
        "acceptance_rate": 0.0,
    }
    assert (stats["b"]["accepted"], stats["b"]["rejected"], stats["b"]["acceptance_rate"]) == (1, 1, 0.5)
    assert stats["c"]["rejected"] == 1
