"""One annotator claiming in many requests at once (double clicks, several tabs, a retrying script): the
lease limit holds and no item is leased to them twice, whichever claim commits first."""

from __future__ import annotations

import threading
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from factories import import_rows, person, project, text_rows
from quorum.accounts.service import get_user
from quorum.assignments.queue import claim_next
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment, Project

CLAIMERS = 12


def _my_project(
    client: TestClient, database: Database, *, overlap: int, max_leases: int, items: int
) -> tuple[int, int]:
    """A project whose only annotator is "me", who may hold ``max_leases`` leases at once; its id and
    mine."""
    admin = person(database, "admin", admin=True)
    me = person(database, "me")
    pid = project(database, "tabs", overlap=overlap, members={me: "annotator"})
    import_rows(client, admin, pid, text_rows(items))
    with database.session() as db:
        db.execute(update(Project).where(Project.id == pid).values(max_leases=max_leases))
    return pid, me.id


def test_concurrent_claims_by_one_annotator_respect_the_lease_limit(
    client: TestClient, database: Database
) -> None:
    pid, my_id = _my_project(client, database, overlap=1, max_leases=3, items=40)

    def claim(barrier: threading.Barrier, lock: threading.Lock, got: list[int | None]) -> None:
        barrier.wait()
        with database.session() as db:
            user = get_user(db, "me")
            found = db.get(Project, pid)
            assert found is not None
            assignment = claim_next(db, user, found)
            leased = assignment.item_id if assignment else None
        with lock:
            got.append(leased)

    for round_ in range(2):
        got: list[int | None] = []
        args = (threading.Barrier(CLAIMERS), threading.Lock(), got)
        threads = [threading.Thread(target=claim, args=args) for _ in range(CLAIMERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with database.session() as db:
            live = db.execute(
                select(Assignment.item_id, func.count())
                .where(
                    Assignment.user_id == my_id,
                    Assignment.status == "leased",
                    Assignment.expires_at > utcnow(),
                )
                .group_by(Assignment.item_id)
            ).all()
            per_item = Counter({item: n for item, n in live})
            assert sum(per_item.values()) == 3, (round_, per_item)
            assert max(per_item.values()) == 1
            # Every claim answered with one of the three leases, new or already held.
            assert set(got) == set(per_item)
            # Expire them all, so the next round claims new items.
            db.execute(update(Assignment).where(Assignment.user_id == my_id).values(status="expired"))


def test_a_claim_waiting_on_the_annotators_lock_never_takes_the_item_just_leased(
    client: TestClient, database: Database
) -> None:
    # On PostgreSQL the waiting claim's scan started before the first claim committed, so its snapshot
    # still shows the first item free; only the INSERT's own check stops it leasing that item again.
    # Overlap 2: the item has room for a second lease, so only the check of who holds it can refuse.
    pid, _ = _my_project(client, database, overlap=2, max_leases=2, items=5)
    second: list[int | None] = []

    def claim_after_first() -> None:
        with database.session() as db:
            found = db.get(Project, pid)
            assert found is not None
            assignment = claim_next(db, get_user(db, "me"), found)
            second.append(assignment.item_id if assignment else None)

    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        first = claim_next(db, get_user(db, "me"), found)
        assert first is not None
        waiting = threading.Thread(target=claim_after_first)
        waiting.start()
        # Let the second claim reach the lock (PostgreSQL) or the write lock (SQLite) before committing.
        waiting.join(timeout=1.0)
        assert waiting.is_alive()
    waiting.join()
    assert second and second[0] is not None and second[0] != first.item_id
