"""A planned crowd for annotator-model tests: two reliable annotators and four noisy ones.

History items: ``r1`` and ``r2`` always give the true label; of the noisy ``n1``..``n4`` two are right and
two wrong on each item, the wrong two giving different wrong labels, so majority vote is always right and
an annotator model can learn that r1/r2 are reliable (confusion ~ identity) and the noisy ones are right
half the time. Deterministic: no random draws.
"""

from __future__ import annotations

from quorum.accounts import service as accounts
from quorum.assignments import service as loop
from quorum.db import Database

LABELS = ["pos", "neg", "neu"]
RELIABLE = ("r1", "r2")
NOISY = ("n1", "n2", "n3", "n4")
CROWD = (*RELIABLE, *NOISY)


def history_plan(n_items: int, prefix: str = "h") -> dict[tuple[str, str], str]:
    plan: dict[tuple[str, str], str] = {}
    for i in range(n_items):
        item = f"{prefix}{i}"
        truth = i % 3
        for who in RELIABLE:
            plan[who, item] = LABELS[truth]
        for j, who in enumerate(NOISY):
            slot = (i + j) % 4
            plan[who, item] = LABELS[(truth + slot) % 3] if slot in (1, 2) else LABELS[truth]
    return plan


def work(
    database: Database, project_id: int, plan: dict[tuple[str, str], str], order: tuple[str, ...]
) -> None:
    """Each annotator in ``order`` works the queue through the service: answers the planned items, skips
    the rest."""
    with database.session() as db:
        for username in order:
            user = accounts.get_user(db, username)
            while (got := loop.claim(db, user, project_id)) is not None:
                assignment, item = got.assignment, got.item
                label = plan.get((username, item.external_id))
                if label is None:
                    loop.skip(db, user, assignment.id)
                else:
                    loop.submit(db, user, assignment.id, {"labels": [label]}, 3000)
