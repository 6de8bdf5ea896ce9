"""AI judges end to end over the API on both databases: attach, run (both candidate orders, validated
like a person's answer, every call in the ledger), scripted right, position-biased, invalid, slow and
failing judges; the CLI; verdicts never become judgments."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cli_runner import quorum_command
from fake_openai import FakeOpenAI, Step
from generation_support import fake
from judges_support import answer_next, attach, first_shown, right, run, setup
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import JudgeVerdict, Judgment, ModelCall

__all__ = ["fake"]


def _verdicts(database: Database) -> list[JudgeVerdict]:
    with database.session() as db:
        rows = list(db.scalars(select(JudgeVerdict).order_by(JudgeVerdict.item_id)))
        db.expunge_all()
        return rows


def test_attach_list_detach_and_refusals(client: TestClient, database: Database, fake: FakeOpenAI) -> None:
    s = setup(client, database, fake.url)
    url = f"/api/v1/projects/{s.pid}/judges"
    assert client.post(url, json={"model": "judge-model"}, headers=s.people[0].headers).status_code == 403
    view = attach(client, s, routing=True, min_confidence=0.7)
    assert view["model"] == "judge-model" and view["routing"] == {
        "on": True, "min_confidence": 0.7, "lowered_target": 1,
    }  # fmt: skip
    assert client.post(url, json={"model": "judge-model"}, headers=s.manager.headers).status_code == 409
    missing = client.post(url, json={"model": "nope"}, headers=s.manager.headers)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    reserved = client.post(
        url, json={"model": "judge-model", "params": {"response_format": {}}}, headers=s.manager.headers
    )
    assert reserved.status_code == 422
    assert reserved.json()["error"]["details"][0]["field"] == "params"
    bad = client.post(url, json={"model": "judge-model", "min_confidence": 2}, headers=s.manager.headers)
    assert bad.status_code == 422
    assert [j["model"] for j in client.get(url, headers=s.manager.headers).json()["judges"]] == [
        "judge-model"
    ]
    assert client.delete(f"{url}/judge-model", headers=s.manager.headers).status_code == 204
    assert client.get(url, headers=s.manager.headers).json()["judges"] == []
    assert client.delete(f"{url}/judge-model", headers=s.manager.headers).status_code == 404


def test_a_right_judge_is_consistent_and_answers_in_candidate_identities(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=3)
    attach(client, s)
    fake.respond = right()
    job = run(client, s)
    assert job["status"] == "succeeded", job
    assert job["result"] == {"judged": 3, "invalid": 0, "failed": 0, "inconsistent": 0, "targets_lowered": 0}
    verdicts = _verdicts(database)
    # Candidate 0 is the good one (as stored): each order's screen answer maps back to "A".
    assert [v.answer["choice"] for v in verdicts] == ["A", "A", "A"]
    assert all(v.consistent is True and v.confidence == 0.9 for v in verdicts)
    assert [a["order"] for a in verdicts[0].answers] == [[0, 1], [1, 0]]
    bodies = [r["body"] for r in fake.requests]
    assert len(bodies) == 6
    assert {b["response_format"]["type"] for b in bodies} == {"json_schema"}
    schema = bodies[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["answer"]["properties"]["choice"]["enum"] == ["A", "B", "tie"]
    # The judge sees what an annotator sees: no model names.
    assert all("big" not in b["messages"][-1]["content"] for b in bodies)
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Judgment)) == 0
        purposes = list(db.scalars(select(ModelCall.purpose)))
    assert purposes == ["judge"] * 6
    # A second run judges nothing new; --redo asks again.
    assert run(client, s)["result"]["judged"] == 0
    assert run(client, s, redo=True)["result"]["judged"] == 3
    assert len(_verdicts(database)) == 3


def test_a_position_biased_judge_is_marked_inconsistent(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2)
    attach(client, s)
    fake.respond = first_shown
    job = run(client, s)
    assert job["result"]["inconsistent"] == 2 and job["result"]["judged"] == 2
    assert [v.consistent for v in _verdicts(database)] == [False, False]
    report = client.get(f"/api/v1/projects/{s.pid}/judges/report", headers=s.manager.headers).json()
    assert report["judges"][0]["order_consistency"] == {
        "judged_in_both_orders": 2,
        "consistent": 0,
        "rate": 0.0,
    }


def test_invalid_replies_are_recorded_and_dropped(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=3)
    attach(client, s)
    good = right()

    def respond(body: dict[str, Any]) -> str:
        shown = body["messages"][-1]["content"]
        if "question 0?" in shown:
            return "not json at all"
        if "question 1?" in shown:
            return json.dumps({"answer": {"choice": "C", "strength": "better"}})
        return good(body)

    fake.respond = respond
    job = run(client, s, model="judge-model")
    assert job["status"] == "succeeded", job
    assert (job["result"]["invalid"], job["result"]["judged"]) == (2, 1)
    verdicts = _verdicts(database)
    assert [v.answer is None for v in verdicts] == [True, True, False]
    assert "not JSON" in (verdicts[0].error or "")
    assert "answer.choice" in (verdicts[1].error or "")
    listed = client.get(f"/api/v1/projects/{s.pid}/judges", headers=s.manager.headers).json()["judges"][0]
    assert (listed["verdicts"], listed["invalid"]) == (1, 2)
    report = client.get(f"/api/v1/projects/{s.pid}/judges/report", headers=s.manager.headers).json()
    assert report["judges"][0]["verdicts"] == 1 and report["judges"][0]["invalid"] == 2


def test_a_failing_judge_fails_the_job_and_writes_no_verdict_and_a_slow_one_still_answers(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2)
    attach(client, s)
    # Each call is tried 4 times (the provider's retries) before it counts as failed.
    fake.script = [Step(status=500, headers={"Retry-After": "0"}) for _ in range(16)]
    job = run(client, s)
    assert job["status"] == "failed" and "every judge call failed" in job["error"], job
    assert _verdicts(database) == []
    with database.session() as db:
        assert db.scalar(select(func.count()).where(ModelCall.error.is_not(None))) == 4
    fake.respond = right()
    slow = json.dumps({"answer": {"choice": "A", "strength": "better"}, "confidence": 0.9})
    fake.script = [Step(delay_s=0.3, text=slow)]  # item 1 as stored: the good answer is shown first
    job = run(client, s)
    assert job["status"] == "succeeded" and job["result"]["judged"] == 2, job


def test_cli_attach_list_report_detach(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    s = setup(client, database, fake.url, n=2)
    quorum = quorum_command(monkeypatch, database.url, settings.data_dir)
    quorum("judge", "attach", str(s.pid), "--model", "judge-model")
    again = quorum("judge", "attach", str(s.pid), "--model", "judge-model", ok=False)
    assert again.returncode == 2 and "already a judge" in again.stderr
    assert json.loads(quorum("judge", "list", str(s.pid), "--json").stdout)[0]["model"] == "judge-model"
    assert json.loads(quorum("judge", "report", str(s.pid), "--json").stdout)["judges"][0]["verdicts"] == 0
    assert "judge-model: 0 verdicts" in quorum("judge", "report", str(s.pid)).stdout
    quorum("judge", "detach", str(s.pid), "--model", "judge-model")
    assert json.loads(quorum("judge", "list", str(s.pid), "--json").stdout) == []


def test_the_judges_page_shows_judges_and_their_agreement_to_managers_only(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=3)
    for who, choice in ((s.people[0], "A"), (s.people[1], "A")):
        for _ in range(3):
            answer_next(client, who, s.pid, choice)

    def login(who: str) -> None:
        r = client.post("/login", data={"username": who, "password": "correct horse"}, follow_redirects=False)
        assert r.status_code == 303, r.text

    login("boss")
    empty = client.get(f"/projects/{s.pid}/judges")
    assert empty.status_code == 200 and 'id="no-judges"' in empty.text
    attach(client, s, routing=True)
    fake.respond = right()
    run(client, s)
    page = client.get(f"/projects/{s.pid}/judges")
    assert page.status_code == 200
    assert 'data-model="judge-model"' in page.text
    assert "100%" in page.text  # order-consistent
    assert "1.00" in page.text and "on" in page.text  # agrees with everyone
    assert "<script>" not in page.text  # CSP: no inline script
    client.cookies.clear()
    login("ann0")
    assert client.get(f"/projects/{s.pid}/judges").status_code in (403, 404)


def test_training_exports_carry_verdicts_beside_the_people_s_rows(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    s = setup(client, database, fake.url, n=2)
    for _ in range(2):
        answer_next(client, s.people[0], s.pid, "A")
    plain = client.get(
        f"/api/v1/projects/{s.pid}/export", params={"format": "dpo"}, headers=s.manager.headers
    )
    assert all("judges" not in json.loads(line) for line in plain.text.splitlines())  # no judge: as before
    attach(client, s)
    fake.respond = first_shown  # says "A" as shown: candidate 0 in the first order
    run(client, s)
    r = client.get(f"/api/v1/projects/{s.pid}/export", params={"format": "dpo"}, headers=s.manager.headers)
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["judges"] == [
            {"model": "judge-model", "consistent": False, "confidence": 0.95,
             "answer": {"choice": "A", "strength": "slightly", "axes": {}, "rationale": ""}}
        ]  # fmt: skip
        assert row["provenance"]["annotators"] == ["ann0"]
