"""32 simulated annotators against a real server process, over real HTTP, on both databases.

Leases are one second long and some are abandoned (and sometimes submitted late), some submits are sent
twice at once with the same Idempotency-Key. While they run, a sampler reads the live leases and judgments
of every item, again and again, and never finds more than the overlap; afterwards the database must show that
nobody judged an item twice, every 201 is stored, and every item is complete.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, null, select, union_all

from factories import CLASSIFICATION_CONFIG, jsonl, project
from live_server import live_server
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import Assignment, Item, Judgment
from quorum.projects import service as projects
from quorum.simulate.annotator import Annotator, Behaviour, Outcome

ANNOTATORS = 32
ITEMS = 60
OVERLAP = 3


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[str]:
    with live_server(database.url, tmp_path) as live:
        yield live.url
    output = live.output()
    assert "Traceback" not in output, output[-5000:]


def _people(database: Database, n: int) -> tuple[str, list[tuple[int, str, str]]]:
    """An admin token and ``n`` annotators (id, username, token); no passwords, so no slow hashing."""
    with database.session() as db:
        admin = accounts.create_user(db, "admin", is_admin=True)
        _, admin_token = accounts.create_token(db, admin)
        people = []
        for i in range(n):
            user = accounts.create_user(db, f"ann{i:02d}")
            _, token = accounts.create_token(db, user)
            people.append((user.id, user.username, token))
    return admin_token, people


class OverlapSampler(threading.Thread):
    """Counts each item's live leases plus judgments until stopped, keeping the largest count seen.

    One statement reads the leases and judgments, so it sees one snapshot; the clock is read after it, so a
    lease counted as live was unexpired for the whole snapshot (the server saw it live too), and a lease that
    expired and was taken again in between is never counted twice."""

    def __init__(self, database: Database, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.database, self.stop = database, stop
        self.samples = 0
        self.most_live = 0
        self.violations: list[tuple[int, int]] = []
        self.error: BaseException | None = None
        self.query = union_all(
            select(Assignment.item_id, Assignment.expires_at).where(Assignment.status == "leased"),
            select(Judgment.item_id, null()),
        )

    def run(self) -> None:
        try:
            while not self.stop.wait(0.02):
                with self.database.engine.connect() as conn:
                    rows = conn.execute(self.query).all()
                now = utcnow()
                live = Counter(
                    item_id for item_id, expires_at in rows if expires_at is None or expires_at > now
                )
                self.samples += 1
                self.most_live = max([self.most_live, *live.values()])
                self.violations += [(i, n) for i, n in live.items() if n > OVERLAP][
                    : 10 - len(self.violations)
                ]
        except BaseException as exc:  # reported by the test, which a thread cannot fail directly
            self.error = exc


def _random_label(item: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return {"labels": [rng.choice(CLASSIFICATION_CONFIG["labels"])]}


def test_32_annotators_never_break_the_queue(server: str, database: Database) -> None:
    admin_token, people = _people(database, ANNOTATORS)
    pid = project(database, "stress", overlap=OVERLAP, lease_seconds=1)
    with database.session() as db:
        proj = projects.find_project(db, pid)
        for user_id, _, _ in people:
            projects.add_member(db, None, proj, accounts.get_user(db, user_id), "annotator")
    rng = random.Random(5)
    rows = [
        {"external_id": f"s{i}", "payload": {"text": f"item {i}"}, "priority": rng.choice([0, 0, 1, 2.5, 10])}
        for i in range(ITEMS)
    ]
    r = httpx.post(
        f"{server}/api/v1/projects/{pid}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl"},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=60,
    )
    assert r.status_code == 201, r.text

    behaviour = Behaviour(abandon_rate=0.06, duplicate_rate=0.2, idle_stop_seconds=2.0)
    stop = threading.Event()
    workers = [
        Annotator(server, token, name, pid, _random_label, behaviour, seed=i, stop=stop)
        for i, (_, name, token) in enumerate(people)
    ]
    # A safety net against a hung queue; a healthy run ends long before it.
    timer = threading.Timer(90, stop.set)
    timer.start()
    sampling = threading.Event()
    sampler = OverlapSampler(database, sampling)
    sampler.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(ANNOTATORS) as pool:
            outcomes: list[Outcome] = list(pool.map(lambda w: w.run(), workers))
    finally:
        timer.cancel()
        sampling.set()
        sampler.join(10)
        for w in workers:
            w.close()
    assert not stop.is_set(), "the simulated annotators did not finish within 90 s"
    assert sampler.error is None, sampler.error
    assert sampler.violations == [], "(item, live leases + judgments) over the overlap during the run"
    # It watched the run itself, not only its end: many samples, some with items at their full overlap.
    assert sampler.samples >= 20, sampler.samples
    assert sampler.most_live == OVERLAP

    statuses = sum((o.statuses for o in outcomes), start=type(outcomes[0].statuses)())
    print(
        f"\n{database.dialect}: {time.monotonic() - started:.1f} s, {sampler.samples} samples, {dict(statuses)}"
    )
    errors = [e for o in outcomes for e in o.errors]
    assert errors == []
    assert not any(code >= 500 for code in statuses), statuses
    # The scenario really happened: leases were abandoned and submits were doubled.
    assert sum(o.abandoned for o in outcomes) > 0
    assert sum(o.duplicates for o in outcomes) > 0
    accepted = {jid: aid for o in outcomes for jid, aid in o.accepted.items()}

    with database.session() as db:
        stored = {jid: aid for jid, aid in db.execute(select(Judgment.id, Judgment.assignment_id))}
        per_item = dict(db.execute(select(Judgment.item_id, func.count()).group_by(Judgment.item_id)).all())
        per_person = db.execute(
            select(Judgment.item_id, Judgment.user_id, func.count())
            .group_by(Judgment.item_id, Judgment.user_id)
            .having(func.count() > 1)
        ).all()
        items = db.execute(select(Item.id, Item.status, Item.judgment_count)).all()
        leased_and_judged = db.execute(
            select(func.count())
            .select_from(Assignment)
            .join(Judgment, Judgment.assignment_id == Assignment.id)
            .where(Assignment.status != "submitted")
        ).scalar_one()

    assert stored == accepted, "a 201 judgment is missing, or one was stored without a 201"
    assert per_person == []
    assert max(per_item.values()) <= OVERLAP
    assert len(items) == ITEMS
    for item_id, status, count in items:
        assert (status, count, per_item.get(item_id, 0)) == ("complete", OVERLAP, OVERLAP), item_id
    assert leased_and_judged == 0
