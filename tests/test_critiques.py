"""AI critiques end to end on both databases: planted flaws checked at import and never shown, the critic
job against the fake OpenAI server (right, invalid and failing replies), comments served only to the shown
arm, each comment's fate checked at submit and stored, and the export carrying it all."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import Person, import_rows, next_task, person, project
from fake_openai import FakeOpenAI
from generation_support import add_model, fake
from quorum.accounts import service as accounts
from quorum.assignments import queue
from quorum.config import Settings
from quorum.critiques import report
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import CritiqueProposal, Item, Judgment, ModelCall, Project
from quorum.projects import service as projects

__all__ = ["fake"]

GOOD = "def largest(xs):\n    best = xs[0]\n    for x in xs:\n        if x < best:\n            best = x\n    return best\n"
BROKEN = "def average(values):\n    return sum(values) / len(values) - 1\n"
FAILING = "def nothing():\n    return None  # FAIL\n"


def _rows() -> list[dict[str, Any]]:
    def row(eid: str, response: str, flaws: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "external_id": eid,
            "payload": {"prompt": f"write {eid}", "response": response, "response_model": "coder-x"},
            "metadata": {"inserted_flaws": flaws, "batch": "b1"},
        }

    return [
        row("good", GOOD, [{"quote": "x < best", "note": "flipped comparison"}]),
        row("broken", BROKEN, [{"quote": "- 1"}]),
        row("failing", FAILING, []),
    ]


def _reply(body: dict[str, Any]) -> str:
    text = body["messages"][-1]["content"]
    if "FAIL" in text:
        return "I cannot help with that, no JSON here"
    if "largest" in text:
        return json.dumps(
            {
                "comments": [
                    {"quote": "x < best", "severity": "major", "comment": "Keeps the smallest value."},
                    {"quote": "not in the response", "severity": "minor", "comment": "hallucinated"},
                    {"quote": "best = xs[0]", "severity": "fatal", "comment": "unknown severity"},
                    {"quote": "return best", "severity": "minor", "comment": "A nitpick."},
                ]
            }
        )
    return (
        "```json\n"
        + json.dumps({"comments": [{"quote": "- 1", "severity": "critical", "comment": "Off by one."}]})
        + "\n```"
    )


def _setup(client: TestClient, database: Database) -> tuple[Person, Person, int]:
    boss, ann = person(database, "boss", admin=True), person(database, "ann")
    pid = project(database, "crit", task_type="critique", members={boss: "manager", ann: "annotator"})
    import_rows(client, boss, pid, _rows())
    return boss, ann, pid


def test_planted_flaws_are_checked_at_import_with_row_and_field(
    client: TestClient, database: Database
) -> None:
    boss = person(database, "boss", admin=True)
    pid = project(database, "crit", task_type="critique")
    bad = [
        {"external_id": "a", "payload": {"prompt": "p", "response": "abc"}, "metadata": {"inserted_flaws": [{"quote": "zzz"}]}},
        {"external_id": "b", "payload": {"prompt": "p", "response": "abc"}, "metadata": {"inserted_flaws": {"quote": "a"}}},
        {"external_id": "c", "payload": {"prompt": "p", "response": "abc"}, "metadata": {"inserted_flaws": [{"quote": "a", "candidate": 1}]}},
    ]  # fmt: skip
    body = "".join(json.dumps(r) + "\n" for r in bad)
    r = client.post(
        f"/api/v1/projects/{pid}/items/import", content=body, params={"format": "jsonl"}, headers=boss.headers
    )
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    assert [(d["row"], d["field"]) for d in details] == [
        (1, "metadata.inserted_flaws.0.quote"),
        (2, "metadata.inserted_flaws"),
        (3, "metadata.inserted_flaws.0.candidate"),
    ]
    assert client.get(f"/api/v1/projects/{pid}/items", headers=boss.headers).json()["items"] == []


def test_the_critic_job_keeps_valid_comments_and_records_the_rest(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    fake.respond = _reply
    add_model(database, "critic-secret-name", fake.url)
    boss, _, pid = _setup(client, database)
    unknown = client.post(f"/api/v1/projects/{pid}/critiques", json={"model": "nope"}, headers=boss.headers)
    assert unknown.status_code == 404
    r = client.post(
        f"/api/v1/projects/{pid}/critiques", json={"model": "critic-secret-name"}, headers=boss.headers
    )
    assert r.status_code == 202, r.text
    job = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=boss.headers).json()
    assert job["status"] == "succeeded", job
    assert job["result"] == {
        "critiqued": 3, "comments": 3, "dropped": 2, "invalid_replies": 1, "failed": 0, "skipped": 0,
    }  # fmt: skip
    sent = [r["body"] for r in fake.requests]
    assert len(sent) == 3 and all(b["response_format"]["type"] == "json_schema" for b in sent)
    with database.session() as db:
        proposals = {p.item_id: p for p in db.scalars(select(CritiqueProposal))}
        calls = list(db.scalars(select(ModelCall).where(ModelCall.purpose == "critique")))
        assert len(calls) == 3 and {c.job_id for c in calls} == {job["id"]}
        assert sorted(len(p.comments) for p in proposals.values()) == [0, 1, 2]
        good = next(p for p in proposals.values() if len(p.comments) == 2)
        assert [c["quote"] for c in good.comments] == ["x < best", "return best"]
        assert GOOD[good.comments[0]["start"] : good.comments[0]["end"]] == "x < best"
        assert [d["reason"].split(":")[0] for d in good.dropped] == ["quote", "severity"]
        invalid = next(p for p in proposals.values() if p.error is not None)
        assert "not JSON" in invalid.error and invalid.comments == []
        assert good.template_version == "critic-v1" and good.job_id == job["id"] and good.model_call_id
    # A rerun asks nothing twice.
    again = client.post(
        f"/api/v1/projects/{pid}/critiques", json={"model": "critic-secret-name"}, headers=boss.headers
    )
    assert (
        client.get(f"/api/v1/jobs/{again.json()['id']}", headers=boss.headers).json()["result"]["skipped"]
        == 3
    )
    assert len(fake.requests) == 3


def test_a_failing_critic_fails_the_job_and_records_the_calls(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True, retry_delay=0.0)
    add_model(database, "critic", fake.url, remote="no-such-model")
    boss, _, pid = _setup(client, database)
    r = client.post(f"/api/v1/projects/{pid}/critiques", json={"model": "critic"}, headers=boss.headers)
    job = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=boss.headers).json()
    assert job["status"] == "failed" and "every critic call failed" in job["error"]
    with database.session() as db:
        assert list(db.scalars(select(CritiqueProposal))) == []
        assert len(list(db.scalars(select(ModelCall).where(ModelCall.purpose == "critique")))) >= 3


def _critiqued(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> tuple[Person, Person, int]:
    build_queue(settings, database, immediate=True)
    fake.respond = _reply
    add_model(database, "critic-secret-name", fake.url)
    boss, ann, pid = _setup(client, database)
    r = client.post(
        f"/api/v1/projects/{pid}/critiques", json={"model": "critic-secret-name"}, headers=boss.headers
    )
    assert r.status_code == 202
    return boss, ann, pid


def test_shown_leases_get_the_comments_and_their_fates_are_stored(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    boss, ann, pid = _critiqued(client, database, settings, fake)
    # critique_share = 0: no arm, no critique, and never a planted flaw in the payload.
    other = person(database, "other")
    with database.session() as db:
        projects.add_member(db, None, db.get(Project, pid), accounts.get_user(db, "other"), "annotator")
    task = next_task(client, other, pid)
    assert task is not None and "critique" not in task
    assert "inserted_flaws" not in json.dumps(task) and task["item"]["metadata"] == {"batch": "b1"}
    assert client.post(f"/api/v1/assignments/{task['id']}/skip", headers=other.headers).status_code == 200
    assert (
        client.patch(
            f"/api/v1/projects/{pid}", json={"critique_share": 1.0}, headers=boss.headers
        ).status_code
        == 200
    )
    seen = []
    while (task := next_task(client, ann, pid)) is not None:
        text = json.dumps(task)
        assert "inserted_flaws" not in text and "secret-name" not in text and "critic-v1" not in text
        seen.append(task)
        response = task["item"]["payload"]["response"]
        comments = task["critique"] or []
        for c in comments:
            assert response[c["start"] : c["end"]] == c["quote"] and c["candidate"] == 0
            assert set(c) == {"index", "candidate", "quote", "start", "end", "severity", "comment"}
        if response == GOOD:
            assert [c["quote"] for c in comments] == ["x < best", "return best"]
            wrong = {
                "answer": {"no_issues": True},
                "time_spent_ms": 5,
                "critique_fates": [{"index": 7, "fate": "kept"}],
            }
            r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=wrong, headers=ann.headers)
            assert (
                r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "critique_fates.0.index"
            )
            kept = comments[0]
            answer = {
                "no_issues": False,
                "issues": [{k: kept[k] for k in ("quote", "start", "end", "severity", "comment")}],
            }
            fates = [
                {"index": 0, "fate": "edited", "comment": "Finds the minimum."},
                {"index": 1, "fate": "deleted"},
            ]
            body = {"answer": answer, "time_spent_ms": 5, "critique_fates": fates}
        elif comments:
            issue = {k: comments[0][k] for k in ("quote", "start", "end", "severity", "comment")}
            body = {
                "answer": {"no_issues": False, "issues": [issue]},
                "time_spent_ms": 5,
                "critique_fates": [{"index": 0, "fate": "kept"}],
            }
        else:
            # Nothing to show (the critic's reply was invalid): no critique, and fates are refused.
            assert task["critique"] is None
            body = {
                "answer": {"no_issues": True},
                "time_spent_ms": 5,
                "critique_fates": [{"index": 0, "fate": "kept"}],
            }
            r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=ann.headers)
            assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "critique_fates"
            body = {"answer": {"no_issues": True}, "time_spent_ms": 5}
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=ann.headers)
        assert r.status_code == 201, r.text
    assert len(seen) == 3
    with database.session() as db:
        stored = {j.answer.get("no_issues"): j for j in db.scalars(select(Judgment))}
        fates = [j.assistance.get("critique_fates") for j in db.scalars(select(Judgment)) if j.assistance]
    by_fate = sorted(f["fate"] for group in fates if group for f in group)
    assert by_fate == ["deleted", "edited", "kept"]
    edited = next(f for group in fates if group for f in group if f["fate"] == "edited")
    assert (
        edited["edited_comment"] == "Finds the minimum."
        and edited["source"] == "critic"
        and edited["candidate"] == 0
    )
    assert stored  # both kinds of answer were written

    # The workspace page loads the comments' script, and a shown lease's fragment lists the comments for
    # keep / edit / delete, without the model's name or the planted flaws.
    import_rows(client, boss, pid, [{**_rows()[0], "external_id": "good-2"}])
    again = client.post(
        f"/api/v1/projects/{pid}/critiques", json={"model": "critic-secret-name"}, headers=boss.headers
    )
    assert again.status_code == 202
    assert client.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
    page = client.get(f"/projects/{pid}/work")
    assert page.status_code == 200 and "/static/critique_proposals.js" in page.text
    fragment = client.post(f"/ui/projects/{pid}/next", headers=ann.headers)
    assert fragment.status_code == 200 and "data-critique" in fragment.text
    assert fragment.text.count('data-critique-action="keep"') == 2
    assert "secret-name" not in fragment.text and "inserted_flaws" not in fragment.text
    client.cookies.clear()

    # The export keeps the planted flaws, whether critiques were shown, and each comment's fate.
    exported = client.get(f"/api/v1/projects/{pid}/export", headers=boss.headers).text
    assert "inserted_flaws" in exported and "critique_fates" in exported

    with database.session() as db:
        section = report.section(db, db.get(Project, pid))
    # Both planted flaws were found with critiques shown; the kept nitpick is not among the kept comments
    # (it was deleted), so every kept comment matches a flaw.
    assert section["recall_with_critiques"]["value"] == 1.0 and section["recall_with_critiques"]["flaws"] == 2
    assert section["recall_without_critiques"]["value"] is None
    assert section["kept_comments_unmatched"]["value"] == 0.0 and section["kept_comments_unmatched"]["n"] == 2


def test_pairwise_comments_follow_the_leases_display_order(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The leases' order seeds from a generator of the test's own: the process-wide one is left seeded by
    # whichever test ran before, and twelve leases could then all draw the same order.
    monkeypatch.setattr(queue, "random", random.Random(7))
    boss, ann = person(database, "boss", admin=True), person(database, "ann")
    pid = project(database, "pw", task_type="pairwise", members={boss: "manager", ann: "annotator"})
    rows = [
        {
            "external_id": f"p{i}",
            "payload": {
                "messages": [{"role": "user", "content": f"q{i}"}],
                "candidates": [{"content": f"first answer {i}"}, {"content": f"second answer {i}"}],
            },
            "metadata": {"inserted_flaws": [{"candidate": 1, "quote": f"second answer {i}"}]},
        }
        for i in range(12)
    ]
    import_rows(client, boss, pid, rows)
    with database.session() as db:
        for item in db.scalars(select(Item).where(Item.project_id == pid)):
            for position, c in enumerate(item.payload["candidates"]):
                quote = c["content"].split()[0]
                comment = {"quote": quote, "start": 0, "end": len(quote), "severity": "minor", "comment": "x"}
                db.add(
                    CritiqueProposal(
                        project_id=pid, item_id=item.id, position=position, model_name="m", remote_model="m",
                        template_version="critic-v1", params={}, comments=[comment], dropped=[],
                    )
                )  # fmt: skip
    assert (
        client.patch(
            f"/api/v1/projects/{pid}", json={"critique_share": 1.0}, headers=boss.headers
        ).status_code
        == 200
    )
    orders = set()
    while (task := next_task(client, ann, pid)) is not None:
        candidates = task["item"]["payload"]["candidates"]
        order = task["item"]["display_order"]
        orders.add(tuple(order))
        comments = task["critique"]
        assert [c["candidate"] for c in comments] == [0, 1]
        for c in comments:
            assert candidates[c["candidate"]]["content"].startswith(c["quote"])
        # Keep the comment on the candidate imported second, wherever it is shown.
        shown_second = order.index(1)
        body = {
            "answer": {"choice": "A", "strength": "slightly"},
            "time_spent_ms": 5,
            "critique_fates": [
                {"index": shown_second, "fate": "kept"},
                {"index": 1 - shown_second, "fate": "deleted"},
            ],
        }
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=ann.headers)
        assert r.status_code == 201, r.text
    assert orders == {(0, 1), (1, 0)}  # both orders were served
    with database.session() as db:
        for assistance in db.scalars(select(Judgment.assistance)):
            kept = [f for f in assistance["critique_fates"] if f["fate"] == "kept"]
            assert [f["candidate"] for f in kept] == [1]
        section = report.section(db, db.get(Project, pid))
    # Every planted flaw (in the candidate imported second) was found through the kept comment.
    assert section["recall_with_critiques"]["value"] == 1.0
    assert section["kept_comments_unmatched"]["value"] == 0.0
