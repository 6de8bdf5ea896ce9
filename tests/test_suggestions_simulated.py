"""Simulated annotators with a planted anchoring tendency work a project through the HTTP API (the
in-process app); the assistance report finds the tendency. The exact interval checks are in
tests/core/test_suggestions_report.py (seeded, pure). Here the claims draw their arms from the global
generator, fixed for the test; the check still allows three standard errors around the planted q instead of
one 95% interval, and asks only that the effect be clearly above zero (its expected value is about 0.25)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from factories import person, project
from quorum.db import Database
from quorum.models import Item
from quorum.simulate.annotator import Annotator, Behaviour
from quorum.simulate.answers import NoiseModel
from quorum.simulate.run import prepare
from suggestion_support import plant, set_policy

Q = 0.6


@pytest.fixture(autouse=True)
def _fixed_coins() -> Iterator[None]:
    state = random.getstate()
    random.seed(5)
    yield
    random.setstate(state)


class _Via:
    """What ``Annotator`` uses of its ``httpx.Client``, answered by the in-process app."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.auth = client, {"Authorization": f"Bearer {token}"}

    def post(self, url: str, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {}), **self.auth}
        return self.client.post(url, headers=headers, **kw)

    def close(self) -> None:
        pass


def test_the_report_finds_a_planted_anchoring_tendency(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "sim", overlap=4, config={"labels": ["a", "b", "c"], "multi": False})
    rng = random.Random(1)
    truth = {f"i{n}": rng.choice("abc") for n in range(60)}
    with database.session() as db:
        for external_id, label in truth.items():
            db.add(
                Item(
                    project_id=pid,
                    external_id=external_id,
                    payload={"text": external_id},
                    meta={"truth": {"labels": [label]}},
                )
            )
    # Suggestions right 70% of the time, else another label.
    plant(
        database,
        pid,
        {
            e: {"labels": [t if rng.random() < 0.7 else rng.choice([x for x in "abc" if x != t])]}
            for e, t in truth.items()
        },
    )
    set_policy(client, admin, pid, suggestion_share=0.5)
    with database.session() as db:
        crowd = prepare(db, pid, 4, 0.8, seed=2)
    noise = NoiseModel("classification", crowd.config)
    behaviour = Behaviour(idle_stop_seconds=0.0, poll_seconds=0.0, anchoring=Q)
    for i, who in enumerate(crowd.annotators):

        def answer(item: dict, r: random.Random, who=who) -> dict:  # type: ignore[type-arg]
            return noise.answer(crowd.truth.get(int(item["id"])), who.accuracy, r, payload=item["payload"])

        annotator = Annotator("http://testserver", who.token, who.username, pid, answer, behaviour, seed=i)
        annotator._http.close()
        # The same requests, sent to the in-process app instead of a server process.
        annotator._http = _Via(client, who.token)  # type: ignore[assignment]
        outcome = annotator.run()
        annotator.close()
        assert not outcome.errors and len(outcome.accepted) == 60
    r = client.get(f"/api/v1/projects/{pid}/assistance", headers=admin.headers)
    s = r.json()["suggestions"]
    assert s["judgments"]["shown"] + s["judgments"]["blind"] == 240
    effect, tendency = s["anchoring_effect"], s["anchoring_tendency"]
    assert effect["low"] > 0
    assert abs(tendency["value"] - Q) < 0.3, tendency
    assert tendency["low"] < tendency["value"] < tendency["high"]
