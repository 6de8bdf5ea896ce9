"""Active learning's batch work and its bookkeeping: scoring is a checkpointed batch run (a failed run,
rerun, skips the batches already scored by that version and ends where a clean run ends), features come
from the embedding store, ``convincing_wrong`` works on a steps project whose solutions are checked against
their reference answer, and a new selection releases the boosts of the one before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from active_support import label, planted_vector, rows, setup
from factories import import_rows, next_task, person, project
from fake_openai import FakeOpenAI
from generation_support import add_model, fake
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import ActiveSelection, BatchCheckpoint, Item, ItemEmbedding, RewardScore
from quorum.reward import scoring

__all__ = ["fake"]


def _job(client: TestClient, who: Any, path: str) -> dict[str, Any]:
    r = client.post(path, headers=who.headers)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=who.headers).json()
    return job


def _embed_calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r["path"].endswith("/embeddings"))


def _forget(database: Database) -> None:
    with database.session() as db:
        db.execute(delete(BatchCheckpoint))
        db.execute(delete(RewardScore))


def _scores(database: Database, pid: int) -> dict[int, tuple[float, float, float]]:
    with database.session() as db:
        found = db.scalars(select(RewardScore).where(RewardScore.project_id == pid)).all()
        return {s.item_id: (s.score, s.disagreement, s.margin) for s in found}


def test_a_failed_scoring_run_resumes_from_its_checkpoints_and_ends_like_a_clean_run(
    client: TestClient,
    database: Database,
    settings: Settings,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.embed = planted_vector
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, rows(60))
    label(client, s.annotator, s.pid, 20)
    base = f"/api/v1/projects/{s.pid}/reward-model"
    assert _job(client, s.manager, f"{base}/train")["status"] == "succeeded"
    # Training (and the score run it asked for) read features from the store, which holds every item's
    # prompt and both candidates now: scoring again embeds nothing.
    with database.session() as db:
        stored = db.scalars(select(ItemEmbedding.part).where(ItemEmbedding.project_id == s.pid)).all()
    assert {"prompt", "candidate:0", "candidate:1"} == set(stored) and len(stored) == 180
    embedded = _embed_calls(fake)
    _forget(database)  # the score run that training asked for is not this test's
    monkeypatch.setattr(scoring, "SCORE_BATCH", 8)  # 40 open items: five batches
    calls: list[int] = []
    real = scoring.score_batch

    def failing(batch: scoring.ScoreBatch) -> dict[str, list[float]]:
        calls.append(len(batch.prompt))
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real(batch)

    monkeypatch.setattr(scoring, "score_batch", failing)
    job = _job(client, s.manager, f"{base}/score")
    assert job["status"] == "failed" and "worker lost" in job["error"], (job, calls)
    assert len(_scores(database, s.pid)) == 16  # two batches landed, each with its checkpoint
    pooled = _embed_calls(fake)
    assert pooled == embedded
    with database.session() as db:
        assert len(db.scalars(select(BatchCheckpoint.batch)).all()) == 2

    calls.clear()
    monkeypatch.setattr(scoring, "score_batch", lambda b: calls.append(len(b.prompt)) or real(b))
    assert _job(client, s.manager, f"{base}/score")["status"] == "succeeded"
    assert calls == [8, 8, 8]  # only the three batches not done
    resumed = _scores(database, s.pid)
    assert len(resumed) == 40
    assert _embed_calls(fake) == pooled  # nothing embedded again

    _forget(database)  # a clean run
    calls.clear()
    assert _job(client, s.manager, f"{base}/score")["status"] == "succeeded"
    assert len(calls) == 5 and _embed_calls(fake) == pooled
    clean = _scores(database, s.pid)
    assert clean.keys() == resumed.keys()
    for item_id, values in clean.items():
        assert values == pytest.approx(resumed[item_id])


def _solution(i: int, *, tone: str, right: bool) -> dict[str, Any]:
    """A steps item whose solution sounds ``tone`` (what the planted embedding reads) and whose final
    answer matches the reference or not."""
    answer = str(i) if right else str(i + 1000)
    return {
        "external_id": f"s{i}",
        "payload": {
            "problem": f"what is {i}?",
            "steps": [f"A {tone} step for {i}.", f"So it is {answer}.\n\n# Answer\n\n{answer}"],
            "reference_answer": f"${i}$",
        },
    }


def test_convincing_wrong_boosts_high_reward_wrong_answers_and_releases_older_boosts(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    fake.embed = planted_vector
    build_queue(settings, database, immediate=True)
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, "prm", task_type="steps", members={manager: "manager", annotator: "annotator"})
    add_model(database, "emb", fake.url, remote="fake-embed")
    # 24 to label (half sound good), then a pool: 6 good-sounding wrong, 6 bad-sounding wrong, 12 right.
    items = [_solution(i, tone="good" if i % 2 else "bad", right=i % 3 > 0) for i in range(24)]
    kinds: dict[str, tuple[str, bool]] = {}
    for i in range(24, 48):
        tone, right = [("good", False), ("bad", False), ("good", True), ("bad", True)][i % 4]
        kinds[f"s{i}"] = (tone, right)
        items.append(_solution(i, tone=tone, right=right))
    import_rows(client, manager, pid, items)
    r = client.put(
        f"/api/v1/projects/{pid}/active",
        json={"embedding_model": "emb", "retrain_every": None, "strategy": "random", "batch_size": 6},
        headers=manager.headers,
    )
    assert r.status_code == 200, r.text
    for _ in range(24):  # the annotator marks a bad-sounding solution's first step -1
        task = next_task(client, annotator, pid)
        assert task is not None
        bad = "bad" in task["item"]["payload"]["steps"][0]
        answer = {"labels": [-1, -1] if bad else [1, 1], "final_answer_correct": not bad}
        r = client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": answer, "time_spent_ms": 1000},
            headers=annotator.headers,
        )
        assert r.status_code == 201, r.text
    base = f"/api/v1/projects/{pid}/reward-model"
    job = _job(client, manager, f"{base}/train")  # active learning is on: it scores and selects too
    assert job["status"] == "succeeded", job
    status = client.get(base, headers=manager.headers).json()
    assert status["version"] == 1 and status["labels"] + status["held_out"] == 24, status
    with database.session() as db:
        ext = dict(db.execute(select(Item.id, Item.external_id).where(Item.project_id == pid)).all())
        first = db.scalars(select(ActiveSelection).where(ActiveSelection.project_id == pid)).all()
        assert len(first) == 6 and {x.strategy for x in first} == {"random"}
        manual = next(x.item_id for x in first)
        db.get(Item, manual).priority = 7.5  # a manager's own choice stays

    r = client.put(
        f"/api/v1/projects/{pid}/active",
        json={"strategy": "convincing_wrong", "control_share": 0.0},
        headers=manager.headers,
    )
    assert r.status_code == 200, r.text
    assert _job(client, manager, f"{base}/score")["status"] == "succeeded"
    with database.session() as db:
        latest = db.scalars(
            select(ActiveSelection).where(ActiveSelection.project_id == pid).order_by(ActiveSelection.id)
        ).all()
        priority = dict(db.execute(select(Item.id, Item.priority).where(Item.project_id == pid)).all())
    old, new = latest[:6], latest[6:]
    # The strategy's picks are the solutions the model likes whose answer is wrong, best first.
    assert len(new) == 6 and {x.arm for x in new} == {"active"}
    assert {kinds[ext[x.item_id]] for x in new} == {("good", False)}, [ext[x.item_id] for x in new]
    assert [x.priority for x in new] == sorted((x.priority for x in new), reverse=True)
    # The earlier boosts are released (traceable: the row says when); their items went back unless
    # someone had moved them since, and the queue serves the new picks first.
    assert all(x.released_at is not None for x in old) and all(x.released_at is None for x in new)
    picked = {x.item_id for x in new}
    for x in old:
        if x.item_id == manual:
            assert priority[x.item_id] == 7.5
        elif x.item_id not in picked:
            assert priority[x.item_id] == 0.0 and x.prior_priority == 0.0
    assert min(priority[i] for i in picked) > max(p for i, p in priority.items() if i not in picked)
    task = next_task(client, annotator, pid)
    assert task is not None and task["item"]["id"] == new[0].item_id
