"""Helpers for the active-learning tests: a pairwise project whose embedding model (the fake OpenAI
server) plants a known effect, and annotators who answer through the API."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from factories import Person, as_shown, import_rows, next_task, person, project
from generation_support import add_model
from quorum.db import Database

DIM = 6


def planted_vector(text: str) -> list[float]:
    """Dimension 0 carries the planted quality ("good" +1, "bad" -1, else 0); the rest is fixed noise of
    the text without its last word, so the two plain answers of a neutral item embed alike."""
    digest = hashlib.sha256(text.rsplit(" ", 1)[0].encode() if "plain" in text else text.encode()).digest()
    noise = [(b - 127.5) / 127.5 * 0.15 for b in digest[: DIM - 1]]
    quality = 1.0 if "good" in text else -1.0 if "bad" in text else 0.0
    return [quality, *noise]


def rows(n: int, *, neutral: set[int] = frozenset(), prefix: str = "p") -> list[dict[str, Any]]:
    """Item i pairs a good and a bad answer (the good one first on even i), or two plain ones when i is
    in ``neutral`` (the model cannot tell them apart: small margin)."""
    out = []
    for i in range(n):
        if i in neutral:
            pair = [f"plain answer {i} one", f"plain answer {i} two"]
        else:
            pair = [f"good answer {i}", f"bad answer {i}"]
            if i % 2:
                pair.reverse()
        out.append(
            {
                "external_id": f"{prefix}{i}",
                "payload": {
                    "messages": [{"role": "user", "content": f"question {i}?"}],
                    "candidates": [{"content": pair[0]}, {"content": pair[1]}],
                },
            }
        )
    return out


@dataclass(frozen=True)
class Active:
    manager: Person
    annotator: Person
    pid: int


def setup(client: TestClient, database: Database, fake_url: str, items: list[dict[str, Any]]) -> Active:
    manager, annotator = person(database, "boss"), person(database, "ann")
    pid = project(database, "al", task_type="pairwise", members={manager: "manager", annotator: "annotator"})
    add_model(database, "emb", fake_url, remote="fake-embed")
    import_rows(client, manager, pid, items)
    r = client.put(
        f"/api/v1/projects/{pid}/active",
        json={"embedding_model": "emb", "retrain_every": None},
        headers=manager.headers,
    )
    assert r.status_code == 200, r.text
    return Active(manager, annotator, pid)


def truthful(task: dict[str, Any]) -> dict[str, Any]:
    """The answer of an annotator who prefers the good answer (candidate identities, as stored)."""
    contents = [c["content"] for c in task["item"]["payload"]["candidates"]]
    order = task["item"].get("display_order") or [0, 1]
    canonical = [contents[order.index(i)] for i in range(2)]
    choice = "A" if "good" in canonical[0] or "bad" in canonical[1] else "B"
    return {"choice": choice, "strength": "significantly"}


def label(client: TestClient, who: Person, pid: int, n: int, answer: Any = truthful) -> list[int]:
    """``who`` labels ``n`` items in queue order; the item ids, in the order they were served."""
    served = []
    for _ in range(n):
        task = next_task(client, who, pid)
        if task is None:
            break
        served.append(task["item"]["id"])
        r = client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": as_shown(task, "pairwise", answer(task)), "time_spent_ms": 1000},
            headers=who.headers,
        )
        assert r.status_code == 201, r.text
    return served
