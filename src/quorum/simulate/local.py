"""Simulated annotators working a queue in this process, through the services instead of HTTP.

The same crowd (``run.prepare``: ``sim-`` accounts with their own accuracy) and the same noise model as
``quorum simulate``, for when no server runs yet: the demo seed fills its simulated project this way in
well under a second. Everything goes through the loop's own use cases (``claim``, ``submit``), so
leases, gold turns, adaptive overlap and the quality gate apply as they do over HTTP. A service: flushes,
never commits.
"""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.assignments import service as loop
from quorum.simulate.answers import NoiseModel
from quorum.simulate.run import Crowd

MAX_ROUNDS = 100_000


def work_in_process(db: Session, crowd: Crowd, *, seed: int = 0) -> int:
    """The crowd takes turns, one item each per round, until nobody gets work; returns the number of
    judgments made. Time spent is drawn between 2 and 40 seconds."""
    rng = random.Random(seed)
    noise = NoiseModel(crowd.task_type, crowd.config)
    people = [(accounts.get_user(db, who.username), who.accuracy) for who in crowd.annotators]
    made = 0
    for _ in range(MAX_ROUNDS):
        worked = False
        for user, accuracy in people:
            got = loop.claim(db, user, crowd.project_id)
            if got is None:
                continue
            assignment, item = got.assignment, got.item
            shown = loop.annotator_view(got.project, item, assignment)
            answer = noise.answer(
                crowd.truth.get(item.id),
                accuracy,
                rng,
                payload=shown["payload"],
                order=shown["display_order"],
            )
            loop.submit(db, user, assignment.id, answer, rng.randint(2_000, 40_000))
            made += 1
            worked = True
        if not worked:
            break
    return made
