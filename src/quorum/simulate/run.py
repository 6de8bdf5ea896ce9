"""Run a crowd of simulated annotators against a project through the HTTP API.

``prepare`` (a service: flushes, never commits) creates or reuses the simulated accounts, named
``sim-<project>-<n>`` so that their work is plainly labelled as simulated wherever it shows, and reads
the true answers the noise model may use. ``run_crowd`` then works the queue over HTTP.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.accounts.access import find_project
from quorum.models import Item, User
from quorum.projects import service as projects
from quorum.simulate.annotator import Annotator, Behaviour, Outcome
from quorum.simulate.answers import NoiseModel

MAX_ANNOTATORS = 500


@dataclass(frozen=True)
class SimAnnotator:
    username: str
    token: str
    accuracy: float


@dataclass(frozen=True)
class Crowd:
    project_id: int
    project_name: str
    task_type: str
    config: dict[str, Any]
    annotators: list[SimAnnotator]
    truth: dict[int, dict[str, Any]]


def prepare(db: Session, project_ref: int | str, n: int, accuracy: float, seed: int) -> Crowd:
    """Accounts for ``n`` simulated annotators, members of the project, with fresh API tokens. Each one's
    accuracy is drawn around ``accuracy``, so that annotator models have something to find."""
    project = find_project(db, project_ref)
    rng = random.Random(seed)
    people = []
    for i in range(n):
        name = f"sim-{project.id}-{i + 1:03d}"
        user = db.scalar(select(User).where(User.username == name))
        if user is None:
            # Simulated people meet the project's expertise rule, or they could not work at all.
            user = accounts.create_user(db, name, expertise=dict(project.required_expertise or {}))
        projects.add_member(db, None, project, user, "annotator")
        _, token = accounts.create_token(db, user, name="simulation")
        own = min(1.0, max(0.0, rng.gauss(accuracy, 0.1)))
        people.append(SimAnnotator(name, token, own))
    truth: dict[int, dict[str, Any]] = {}
    for item_id, gold, meta in db.execute(
        select(Item.id, Item.gold, Item.meta).where(Item.project_id == project.id, Item.status == "open")
    ):
        known = gold if isinstance(gold, dict) else (meta or {}).get("truth")
        if isinstance(known, dict):
            truth[item_id] = known
    return Crowd(project.id, project.name, project.task_type, dict(project.config), people, truth)


def run_crowd(
    base_url: str, crowd: Crowd, behaviour: Behaviour, *, seed: int = 0, timeout_s: float = 3600
) -> list[Outcome]:
    noise = NoiseModel(crowd.task_type, crowd.config)
    stop = threading.Event()

    def worker(i: int, who: SimAnnotator) -> Outcome:
        def answer(item: dict[str, Any], rng: random.Random) -> dict[str, Any]:
            truth = crowd.truth.get(int(item["id"]))
            return noise.answer(
                truth, who.accuracy, rng, payload=item["payload"], order=item.get("display_order")
            )

        annotator = Annotator(
            base_url, who.token, who.username, crowd.project_id, answer, behaviour, seed=seed + i, stop=stop
        )
        try:
            return annotator.run()
        finally:
            annotator.close()

    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    try:
        with ThreadPoolExecutor(max(1, len(crowd.annotators))) as pool:
            return list(pool.map(worker, range(len(crowd.annotators)), crowd.annotators))
    finally:
        timer.cancel()
