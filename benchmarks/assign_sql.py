"""The ceiling ``assign.py`` compares against: the same claim and submit as bare SQL through psycopg, at
the same concurrency, plus the measurement record both sides fill in."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

OVERLAP = 3
MAX_SQL_CONNECTIONS = 64


@dataclass
class Run:
    claims: int = 0
    seconds: float = 0.0
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# The claim and submit of assignments/queue.py and assignments/service.py, as bare SQL.
CLAIM = """
SELECT i.id, i.judgment_count FROM items i
WHERE i.project_id = %(pid)s AND i.status = 'open'
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = %(uid)s)
  AND (NOT EXISTS (SELECT 1 FROM item_pins p WHERE p.item_id = i.id)
       OR EXISTS (SELECT 1 FROM item_pins p WHERE p.item_id = i.id AND p.user_id = %(uid)s))
  AND (i.gold IS NULL OR i.gold = 'null')
  AND i.judgment_count + (SELECT count(*) FROM assignments a
                          WHERE a.item_id = i.id AND a.status = 'leased' AND a.expires_at > %(now)s)
      < coalesce(i.overlap_target, %(overlap)s)
ORDER BY i.priority DESC, i.id LIMIT 1
FOR UPDATE OF i SKIP LOCKED
"""
LEASE = """
INSERT INTO assignments (project_id, item_id, user_id, status, expires_at, created_at)
SELECT %(pid)s, %(iid)s, %(uid)s, 'leased', %(now)s + interval '900 seconds', %(now)s
WHERE (SELECT count(*) FROM assignments WHERE user_id = %(uid)s AND project_id = %(pid)s
         AND status = 'leased' AND expires_at > %(now)s) < 1
  AND (SELECT count(*) FROM assignments WHERE item_id = %(iid)s AND status = 'leased'
         AND expires_at > %(now)s) < %(room)s
RETURNING id
"""
SUBMISSION = """
SELECT a.status, i.judgment_count, j.id FROM assignments a
JOIN projects p ON p.id = a.project_id JOIN items i ON i.id = a.item_id
LEFT JOIN judgments j ON j.user_id = %(uid)s AND j.idempotency_key = %(key)s
WHERE a.id = %(aid)s FOR UPDATE OF a, i
"""
RECORD = """
WITH j AS (INSERT INTO judgments (project_id, item_id, assignment_id, user_id, answer, time_spent_ms,
                                  guideline_version, idempotency_key, created_at)
           VALUES (%(pid)s, %(iid)s, %(aid)s, %(uid)s, %(answer)s, 1000, 0, %(key)s, %(now)s) RETURNING id),
     a AS (UPDATE assignments SET status = 'submitted', finished_at = %(now)s WHERE id = %(aid)s RETURNING id),
     i AS (UPDATE items SET judgment_count = %(count)s, status = %(status)s WHERE id = %(iid)s RETURNING id),
     e AS (INSERT INTO audit_events (actor_id, action, object_type, object_id, project_id, data, created_at)
           SELECT %(uid)s, 'judgment.create', 'judgment', j.id, %(pid)s, '{}'::jsonb, %(now)s FROM j
           RETURNING id)
SELECT id FROM j
"""


def sql_claim_and_submit(conn: psycopg.Connection[Any], uid: int, pid: int) -> bool:
    """The statements the server sends for next and submit, less authentication and the project read."""
    current = datetime.now(UTC).replace(tzinfo=None)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (uid, pid))
        row = conn.execute(CLAIM, {"pid": pid, "uid": uid, "now": current, "overlap": OVERLAP}).fetchone()
        if row is None:
            return False
        params = {"pid": pid, "iid": row[0], "uid": uid, "now": current, "room": OVERLAP - row[1]}
        lease = conn.execute(LEASE, params).fetchone()
        if lease is None:
            return False
    key = f"s{lease[0]}"
    with conn.transaction():
        found = conn.execute(SUBMISSION, {"uid": uid, "key": key, "aid": lease[0]}).fetchone()
        assert found is not None
        count = found[1] + 1
        conn.execute(
            RECORD,
            {
                "pid": pid,
                "iid": row[0],
                "aid": lease[0],
                "uid": uid,
                "answer": json.dumps({"labels": ["a"]}),
                "key": key,
                "now": datetime.now(UTC).replace(tzinfo=None),
                "count": count,
                "status": "complete" if count >= OVERLAP else "open",
            },
        ).fetchone()
    return True


def sql_level(url: str, user_ids: list[int], pid: int, clients: int, seconds: float) -> Run:
    """``clients`` threads sharing at most MAX_SQL_CONNECTIONS connections, like the server's pool."""
    import queue
    import threading

    run = Run()
    pool: queue.Queue[psycopg.Connection[Any]] = queue.Queue()
    for _ in range(min(clients, MAX_SQL_CONNECTIONS)):
        pool.put(psycopg.connect(url))
    lock = threading.Lock()
    until = time.perf_counter() + seconds

    def client(i: int) -> None:
        while time.perf_counter() < until:
            conn = pool.get()
            try:
                started = time.perf_counter()
                ok = sql_claim_and_submit(conn, user_ids[i], pid)
                elapsed = (time.perf_counter() - started) * 1000
            finally:
                pool.put(conn)
            with lock:
                run.next_ms.append(elapsed)
                if ok:
                    run.claims += 1
                else:
                    run.error("no claim")

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - started
    while not pool.empty():
        pool.get().close()
    return run


def sql_claim_latency(url: str, pid: int, uids: list[int], n: int) -> dict[str, float]:
    """The claim statement alone, one client, rolled back each time: what the database pays per ``next``
    without HTTP, Python or the other tenants of this machine's CPU in the way."""
    times = []
    with psycopg.connect(url) as conn:
        for i in range(n):
            started = time.perf_counter()
            with conn.transaction(force_rollback=True):
                conn.execute(
                    CLAIM, {"pid": pid, "uid": uids[i % len(uids)], "now": "2000-01-01", "overlap": OVERLAP}
                ).fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "p99_ms": round(pct(times, 99), 2),
    }


def explain(url: str, pid: int, uid: int) -> str:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + CLAIM,
            {"pid": pid, "uid": uid, "now": "2000-01-01", "overlap": OVERLAP},
        ).fetchall()
        conn.rollback()
    return "\n".join(r[0] for r in rows)
