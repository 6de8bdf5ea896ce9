"""Submit latency of a ``dawid_skene`` project with 20k judgments: the refit inline (a process without a
job queue, and what every submit due for a refit paid before the ``consensus_refit`` job) against the
refit submitted as a job. One command: ``python benchmarks/refit_submit.py [--database-url URL]``; prints a
table and writes JSON next to the other results."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select, update

from quorum.accounts import service as accounts
from quorum.assignments import service as loop
from quorum.consensus import online
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.db.types import utcnow
from quorum.jobs.queue import attach
from quorum.models import Assignment, ConsensusFit, Item, Job, Judgment, Project
from quorum.projects import service as projects

LABELS = ["pos", "neg", "neu"]
ANNOTATORS = 20
PER_ITEM = 4
FRESH = 60


class _Held:
    """A queue that only keeps ids: the worker's side is not what is measured here."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def build(database: Database, n_judgments: int) -> tuple[int, list[str]]:
    """A project with ``n_judgments`` judgments written in bulk (4 per item), and ``FRESH`` open items."""
    with database.session() as db:
        names = [f"a{i}" for i in range(ANNOTATORS)]
        users = [accounts.create_user(db, name, password="correct horse") for name in names]
        project = projects.create_project(
            db, None, name="refit", task_type="classification", config={"labels": LABELS}, overlap=2
        )
        for user in users:
            projects.add_member(db, None, project, user, "annotator")
        project.overlap_max, project.overlap_rule, project.confidence_target = 3, "dawid_skene", 0.99
        n_items = n_judgments // PER_ITEM
        now = utcnow()
        db.execute(
            insert(Item),
            [
                {
                    "project_id": project.id,
                    "external_id": f"h{i}",
                    "payload": {"text": f"history {i}"},
                    "meta": {},
                    "status": "complete",
                    "judgment_count": PER_ITEM,
                    "priority": 0.0,
                }
                for i in range(n_items)
            ]
            + [
                {
                    "project_id": project.id,
                    "external_id": f"f{i}",
                    "payload": {"text": f"fresh {i}"},
                    "meta": {},
                    "priority": 0.0,
                }
                for i in range(FRESH)
            ],
        )
        item_ids = db.scalars(select(Item.id).where(Item.project_id == project.id).order_by(Item.id)).all()
        rows = [
            (item_ids[i], users[(i + k) % ANNOTATORS].id, i % 3, k)
            for i in range(n_items)
            for k in range(PER_ITEM)
        ]
        db.execute(
            insert(Assignment),
            [
                {
                    "project_id": project.id,
                    "item_id": it,
                    "user_id": u,
                    "status": "submitted",
                    "expires_at": now,
                }
                for it, u, _, _ in rows
            ],
        )
        assignment = {
            (it, u): a
            for a, it, u in db.execute(
                select(Assignment.id, Assignment.item_id, Assignment.user_id).where(
                    Assignment.project_id == project.id
                )
            )
        }
        db.execute(
            insert(Judgment),
            [
                {
                    "project_id": project.id,
                    "item_id": it,
                    "assignment_id": assignment[it, u],
                    "user_id": u,
                    # Annotators 0-4 are always right; the others right two times in three.
                    "answer": {"labels": [LABELS[(truth + (k == 3 and u % 3 == 0)) % 3 if u > 5 else truth]]},
                    "time_spent_ms": 3000,
                    "guideline_version": project.guideline_version,
                    "created_at": now - timedelta(seconds=n_judgments - j),
                }
                for j, (it, u, truth, k) in enumerate(rows)
            ],
        )
        return project.id, names


def submits(database: Database, pid: int, names: list[str]) -> tuple[list[float], list[int]]:
    """Two annotators in turn judge each fresh item; the second judgment of each asks the overlap rule.
    Seconds and SQL statements per second judgment."""
    times: list[float] = []
    statements: list[int] = []
    sent: list[int] = [0]

    def count(*_args: Any) -> None:
        sent[0] += 1

    with database.session() as db:
        users = [accounts.get_user(db, name) for name in names[:2]]
    event.listen(Engine, "before_cursor_execute", count)
    for turn in range(2 * FRESH):
        user = users[turn % 2]
        with database.session() as db:
            got = loop.claim(db, user, pid)
            if got is None:
                break
            sent[0] = 0
            start = time.perf_counter()
            loop.submit(db, user, got.assignment.id, {"labels": ["pos"]}, 3000)
            db.flush()
            if turn % 2:
                times.append(time.perf_counter() - start)
                statements.append(sent[0])
    event.remove(Engine, "before_cursor_execute", count)
    return times, statements


def run(url: str | None, n_judgments: int) -> dict[str, Any]:
    result: dict[str, Any] = {"n_judgments": n_judgments}
    for mode in ("inline", "job"):
        with tempfile.TemporaryDirectory() as tmp:
            database = Database(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
            upgrade(database.engine)
            if url:
                with database.engine.begin() as conn:
                    conn.exec_driver_sql("TRUNCATE users, projects RESTART IDENTITY CASCADE")
            online.clear()
            pid, names = build(database, n_judgments)
            # A stored fit made stale: the first submit that asks is due for a refit.
            with database.session() as db:
                found = db.get(Project, pid)
                assert found is not None
                online.refit(db, found)
                db.execute(update(ConsensusFit).values(last_judgment_id=0, n_judgments=10))
            if mode == "job":
                attach(database, _Held())
            else:
                database.session_info.pop("job_queue", None)
            times, statements = submits(database, pid, names)
            with database.session() as db:
                jobs = len(db.scalars(select(Job.id)).all())
            result[mode] = {
                "submits": len(times),
                "first_ms": round(times[0] * 1000, 2),
                "max_ms": round(max(times) * 1000, 2),
                "median_ms": round(statistics.median(times) * 1000, 2),
                "jobs_submitted": jobs,
                "statements_median": statistics.median(statements),
            }
            database.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--judgments", type=int, default=20_000)
    args = parser.parse_args()
    result = run(args.database_url, args.judgments)
    print(
        f"{'mode':8} {'submits':>8} {'due submit ms':>14} {'max ms':>8} {'median ms':>10} {'jobs':>5} {'stmts':>6}"
    )
    for mode in ("inline", "job"):
        r = result[mode]
        print(
            f"{mode:8} {r['submits']:>8} {r['first_ms']:>14} {r['max_ms']:>8} {r['median_ms']:>10} "
            f"{r['jobs_submitted']:>5} {r['statements_median']:>6}"
        )
    out = (
        Path(__file__).parent
        / "results"
        / f"refit_submit_{'postgresql' if args.database_url else 'sqlite'}.json"
    )
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
