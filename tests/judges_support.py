"""Shared set-up for the judge tests: a judge model on the local fake server, scripted judges that answer
pairwise items rightly, with a position bias, invalidly, and a pairwise project with people to judge."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from factories import Person, as_shown, import_rows, next_task, pairwise_rows, person, project
from generation_support import add_model
from quorum.db import Database

Respond = Callable[[dict[str, Any]], str]


def shown_candidates(body: dict[str, Any]) -> list[str]:
    return [c["content"] for c in json.loads(body["messages"][-1]["content"])["candidates"]]


def right(confidence: float = 0.9) -> Respond:
    """Picks the candidate whose text says "good", in whatever order it is shown."""

    def respond(body: dict[str, Any]) -> str:
        letter = "A" if "good" in shown_candidates(body)[0] else "B"
        return json.dumps({"answer": {"choice": letter, "strength": "better"}, "confidence": confidence})

    return respond


def wrong(confidence: float = 0.9) -> Respond:
    def respond(body: dict[str, Any]) -> str:
        letter = "B" if "good" in shown_candidates(body)[0] else "A"
        return json.dumps({"answer": {"choice": letter, "strength": "better"}, "confidence": confidence})

    return respond


def first_shown(body: dict[str, Any]) -> str:
    """Always the response shown first: its verdict flips with the order."""
    return json.dumps({"answer": {"choice": "A", "strength": "slightly"}, "confidence": 0.95})


@dataclass(frozen=True)
class Setup:
    manager: Person
    people: list[Person]
    pid: int


def setup(
    client: TestClient, database: Database, url: str, *, n: int = 3, overlap: int = 1, people: int = 2
) -> Setup:
    add_model(database, "judge-model", url)
    manager = person(database, "boss")
    annotators = [person(database, f"ann{i}") for i in range(people)]
    members = {manager: "manager", **{a: "annotator" for a in annotators}}
    pid = project(database, "judged", task_type="pairwise", overlap=overlap, members=members)
    import_rows(client, manager, pid, pairwise_rows(n))
    return Setup(manager, annotators, pid)


def attach(client: TestClient, s: Setup, **body: Any) -> Any:
    r = client.post(
        f"/api/v1/projects/{s.pid}/judges", json={"model": "judge-model", **body}, headers=s.manager.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


def run(client: TestClient, s: Setup, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/projects/{s.pid}/judges/run", json=body, headers=s.manager.headers)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=s.manager.headers).json()
    return job


def answer_next(client: TestClient, who: Person, pid: int, choice: str) -> dict[str, Any] | None:
    """``who`` takes the next item and prefers candidate ``choice`` ("A" = candidate 0, as stored)."""
    task = next_task(client, who, pid)
    if task is None:
        return None
    stored = {"choice": choice, "strength": "better"}
    body = {"answer": as_shown(task, "pairwise", stored), "time_spent_ms": 3000}
    r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=who.headers)
    assert r.status_code in (200, 201), r.text
    return task
