"""The assignment engine under load: next -> submit over HTTP against a real ``quorum serve`` process.

    .venv/bin/python benchmarks/assign.py [--quick] [--items 100000] [--seconds 10]
    .venv/bin/python benchmarks/assign.py --crowd 1000 [--crowd-seconds 75] [--think 10]

PostgreSQL only (its own database, ``quorum_bench_assign``). For 1, 8, 32 and 128 concurrent clients, each
a simulated annotator looping next -> submit, it reports claims per second and p50/p95/p99 latency of
``next`` and ``submit``. In the same run it measures the ceiling: the same claim and submit as bare SQL
through psycopg with the same concurrency (capped at 64 connections: PostgreSQL here allows 100 and the
server keeps a pool of up to 30), and prints our rate as a fraction of it. Those loops never pause, so
they measure capacity, and their latency is queueing for it (Little's law: clients / rate). The paced runs
then measure what people meet: 8, 32 and 128 annotators reading about a second per item (``--think``).
Last, the latency of ``next`` in a project of 10k open items against one of 1M items of which all but
10k are complete.

``--crowd 1000`` runs only the paced load of real annotators instead (``assign_crowd.py``): a thousand,
each reading about 10 s per item, for 75 s; it reports next and submit p50/p95/p99, errors and the load
generator's own CPU to ``results/assign_crowd.json``.

The server (``quorum serve --workers 2`` by default: one process per core), the load generator
(asyncio + aiohttp, one process) and PostgreSQL share this machine's cores, so the HTTP numbers include
the client's own CPU. It also counts the SQL statements one next -> submit pair sends (in process,
through the same app), the number the request path is trimmed by.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psycopg
from assign_crowd import crowd, crowd_table
from assign_http import ask_next, send_answer
from assign_report import tables
from assign_sql import (
    OVERLAP,
    Run,
    explain,
    pct,
    sql_claim_latency,
    sql_level,
)
from rich.console import Console

from quorum.accounts.secrets import hash_token, new_token
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.projects import service as projects

PG_ADMIN = os.environ.get("QUORUM_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "quorum_bench_assign"
RESULTS = Path(__file__).parent / "results" / "assign.json"
CROWD_RESULTS = Path(__file__).parent / "results" / "assign_crowd.json"
LABELS = ["a", "b", "c"]
console = Console(width=150)


# ---- setup ---------------------------------------------------------------------------------------------


def fresh_database() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    return url


def make_people(url: str, n: int) -> list[str]:
    """``n`` annotators' API tokens, written in two statements (no passwords: hashing would only slow the
    setup; a thousand users one unit of work at a time took most of a minute)."""
    plain = [new_token() for _ in range(n)]
    with psycopg.connect(url, autocommit=True) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "INSERT INTO users (username, is_admin, is_active, expertise, created_at, session_version) "
                "SELECT 'bench' || lpad(g::text, 4, '0'), false, true, '{}'::jsonb, now(), 0 "
                "FROM generate_series(0, %s - 1) AS g ORDER BY g RETURNING id",
                (n,),
            )
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                "VALUES (%s, 'bench', %s, %s, now())",
                [(uid, hash_token(token), token[:8]) for uid, token in zip(ids, plain, strict=True)],
            )
    return plain


def make_project(url: str, name: str, n_open: int, n_complete: int = 0) -> int:
    """A project whose items are written by ``generate_series`` (a million rows in seconds, not minutes).
    Complete items come first (oldest), so a scan that did not skip them would pay for every one."""
    database = Database(url)
    with database.session() as db:
        project = projects.create_project(
            db, None, name=name, task_type="classification", config={"labels": LABELS}, overlap=OVERLAP
        )
        pid = project.id
    database.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO memberships (project_id, user_id, role, created_at) "
            "SELECT %s, id, 'annotator', now() FROM users",
            (pid,),
        )
        for status, count, offset in (("complete", n_complete, 0), ("open", n_open, n_complete)):
            if count == 0:
                continue
            conn.execute(
                """
                INSERT INTO items (project_id, external_id, payload, metadata, priority, status,
                                   judgment_count, created_at)
                SELECT %(pid)s, 'i' || g, jsonb_build_object('text', 'item number ' || g), '{}'::jsonb,
                       CASE WHEN g %% 10 = 0 THEN 1.0 ELSE 0.0 END, %(status)s,
                       %(judgments)s::int, now()
                FROM generate_series(%(start)s::int, %(stop)s::int) AS g
                """,
                {
                    "pid": pid,
                    "status": status,
                    "judgments": OVERLAP if status == "complete" else 0,
                    "start": offset + 1,
                    "stop": offset + count,
                },
            )
        conn.execute("VACUUM ANALYZE items")
    return pid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkdtemp()) / "server.log"
        self.log = self.log_path.open("wb")
        env = {**os.environ, "QUORUM_DATABASE_URL": url, "QUORUM_DATA_DIR": tempfile.mkdtemp()}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quorum", "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            # Access logs go to a file, shown only when something went wrong.
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # Two worker processes importing the web stack on a loaded machine can take a minute or more.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start:\n" + self.log_path.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()

    def problems(self) -> list[str]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or "ERROR" in line or "Error" in line][:20]


# ---- measurement ---------------------------------------------------------------------------------------


async def http_client(
    http: aiohttp.ClientSession, token: str, pid: int, until: float, run: Run, think: float = 0.0
) -> None:
    """One annotator: next -> submit in a loop, reading for ``think`` seconds (+-50%) between items."""
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(token)
    if think:
        # Annotators do not start in step.
        await asyncio.sleep(rng.uniform(0, think))
    while time.perf_counter() < until:
        assignment = await ask_next(http, pid, headers, run)
        if assignment is None:
            await asyncio.sleep(0.01)
            continue
        body = {"answer": {"labels": [rng.choice(LABELS)]}, "time_spent_ms": 1000}
        await send_answer(http, headers, run, assignment, body)
        if think:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def http_level(
    base: str, tokens: list[str], pid: int, clients: int, seconds: float, think: float = 0.0
) -> Run:
    """``clients`` annotators looping next -> submit. The load generator is aiohttp: it costs about a
    third of httpx's CPU per request, and every cycle it spends is taken from the server it measures."""
    run = Run()
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        # Warm up connections and the server's pool before the clock starts.
        async def warm() -> None:
            async with http.get("/readyz") as r:
                await r.read()

        await asyncio.gather(*(warm() for _ in range(clients)))
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(http_client(http, tokens[i], pid, until, run, think) for i in range(clients)))
        run.seconds = time.perf_counter() - started
    return run


async def http_floor(base: str, clients: int, seconds: float) -> Run:
    """The same loop against the server's cheapest route (``GET /healthz``, twice per pair): what HTTP,
    the framework and the load generator cost before any work is done, on the same cores."""
    run = Run()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector) as http:

        async def client() -> None:
            while time.perf_counter() < until:
                for latencies in (run.next_ms, run.submit_ms):
                    started = time.perf_counter()
                    async with http.get("/healthz") as r:
                        await r.read()
                    latencies.append((time.perf_counter() - started) * 1000)
                run.claims += 1

        until = time.perf_counter() + 1
        await asyncio.gather(*(client() for _ in range(clients)))
        run.next_ms.clear()
        run.submit_ms.clear()
        run.claims = 0
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(client() for _ in range(clients)))
        run.seconds = time.perf_counter() - started
    return run


def statements_per_pair(url: str, token: str, pid: int) -> dict[str, int]:
    """Statements (plus transaction commands) sent by one ``next`` and one ``submit``, counted on the
    engine of an in-process app; the second pair is counted, after caches are warm."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from quorum.config import Settings
    from quorum.web.app import create_app

    app = create_app(Settings(database_url=url, data_dir=tempfile.mkdtemp()))
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append("statement")

    event.listen(app.state.database.engine, "before_cursor_execute", count)
    for name in ("begin", "commit", "rollback"):
        event.listen(app.state.database.engine, name, count)
    counts: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as http:
        for _ in range(2):
            sent.clear()
            r = http.post(f"/api/v1/projects/{pid}/next", headers=headers)
            counts["next"] = len(sent)
            aid = r.json()["assignment"]["id"]
            sent.clear()
            http.post(
                f"/api/v1/assignments/{aid}/submit",
                json={"answer": {"labels": ["a"]}, "time_spent_ms": 1000},
                headers={**headers, "Idempotency-Key": f"count{aid}"},
            )
            counts["submit"] = len(sent)
    app.state.database.dispose()
    return counts


def user_ids(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]


# ---- main ----------------------------------------------------------------------------------------------


def summary(run: Run) -> dict[str, Any]:
    return {
        "claims": run.claims,
        "seconds": round(run.seconds, 2),
        "claims_per_s": round(run.claims / run.seconds, 1) if run.seconds else 0.0,
        "next_p50_ms": round(pct(run.next_ms, 50), 1),
        "next_p95_ms": round(pct(run.next_ms, 95), 1),
        "next_p99_ms": round(pct(run.next_ms, 99), 1),
        "submit_p50_ms": round(pct(run.submit_ms, 50), 1),
        "submit_p95_ms": round(pct(run.submit_ms, 95), 1),
        "submit_p99_ms": round(pct(run.submit_ms, 99), 1),
        "errors": run.errors,
    }


def crowd_main(args: argparse.Namespace) -> None:
    """Setup, then ``args.crowd`` paced annotators against ``quorum serve --workers``."""
    think = 10.0 if args.think is None else args.think
    url = fresh_database()
    tokens = make_people(url, args.crowd)
    pid = make_project(url, "crowd", args.items)
    load_before = os.getloadavg()
    server = Server(url, args.workers)
    try:
        run, used = asyncio.run(crowd(server.base, tokens, pid, args.crowd_seconds, think, server.proc.pid))
    finally:
        server.stop()
    result = {
        "annotators": args.crowd,
        "think_s": think,
        "workers": args.workers,
        "items": args.items,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        **summary(run),
        **used,
        "server_problems": server.problems(),
    }
    for line in result["server_problems"]:
        console.print(line, style="red", markup=False)
    console.print(crowd_table(result))
    console.print(f"errors: {run.errors or 'none'}; load average {result['load_average_after']}")
    CROWD_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    CROWD_RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {CROWD_RESULTS}", style="dim")


def combined_fraction(rate: float, http_floor: float, sql_ceiling: float) -> float | None:
    """Our rate against the combined floor, 1 / (1/http + 1/sql): what a server would reach whose request
    cost no more than the no-op route plus the bare statements (the issue's measure, target 0.6)."""
    if not http_floor or not sql_ceiling:
        return None
    return round(rate * (1 / http_floor + 1 / sql_ceiling), 2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="10k items, 3 s per level, 200k for the scale test"
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--big", type=int, default=1_000_000, help="items in the large project")
    parser.add_argument("--levels", default="1,8,32,128")
    parser.add_argument("--workers", type=int, default=2, help="server processes (quorum serve --workers)")
    parser.add_argument(
        "--think",
        type=float,
        default=None,
        help="seconds an annotator of the paced runs reads each item (1; 10 with --crowd)",
    )
    parser.add_argument(
        "--crowd", type=int, default=0, help="only the paced crowd: this many annotators (e.g. 1000)"
    )
    parser.add_argument("--crowd-seconds", type=float, default=75.0, help="how long the crowd works")
    args = parser.parse_args()
    if args.crowd:
        crowd_main(args)
        return
    args.think = 1.0 if args.think is None else args.think
    if args.quick:
        args.items, args.seconds, args.big = 10_000, 3.0, 200_000
    levels = [int(x) for x in args.levels.split(",")]
    clients = max(*levels, 32)  # the scale test runs 32 clients whatever the levels

    setup_started = time.perf_counter()
    url = fresh_database()
    tokens = make_people(url, clients)
    uids = user_ids(url)
    main_pid = make_project(url, "main", args.items)
    sql_pid = make_project(url, "sql", args.items)
    small_pid = make_project(url, "small", 10_000)
    big_pid = make_project(url, "big", 10_000, args.big - 10_000)
    console.print(f"setup: {time.perf_counter() - setup_started:.1f} s", style="dim")

    results: dict[str, Any] = {
        "items": args.items,
        "seconds_per_level": args.seconds,
        "overlap": OVERLAP,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "http": {},
        "paced": {},
        "floor": {},
        "think_s": args.think,
        "sql": {},
        "scale": {},
    }
    results["statements"] = statements_per_pair(url, tokens[-1], small_pid)
    console.print(f"statements per call: {results['statements']}", style="dim")
    server = Server(url, args.workers)
    try:
        for level in levels:
            run = asyncio.run(http_level(server.base, tokens, main_pid, level, args.seconds))
            results["http"][str(level)] = summary(run)
            console.print(f"http {level:>3} clients: {summary(run)['claims_per_s']} claims/s", style="dim")
        for level in levels:
            run = asyncio.run(http_floor(server.base, level, args.seconds / 2))
            results["floor"][str(level)] = summary(run)
        # Closed loops without pause measure capacity; people read between items, so the latency they
        # meet is that of the paced runs.
        for level in (n for n in levels if n >= 8):
            run = asyncio.run(http_level(server.base, tokens, main_pid, level, args.seconds, args.think))
            results["paced"][str(level)] = summary(run)
        for name, pid, n in (("10k", small_pid, 10_000), (f"{args.big // 1000}k", big_pid, args.big)):
            run = asyncio.run(http_level(server.base, tokens, pid, 1, args.seconds / 2))
            results["scale"][name] = {"items": n, "open": 10_000, **summary(run)}
            run = asyncio.run(http_level(server.base, tokens, pid, 32, args.seconds / 2))
            results["scale"][name]["at_32"] = summary(run)
    finally:
        server.stop()
        results["server_problems"] = server.problems()
        for line in results["server_problems"]:
            console.print(line, style="red", markup=False)
    for level in levels:
        run = sql_level(url, uids, sql_pid, level, args.seconds)
        results["sql"][str(level)] = summary(run)
        console.print(f"sql  {level:>3} clients: {summary(run)['claims_per_s']} claims/s", style="dim")
    results["plan_big"] = explain(url, big_pid, uids[0])
    for name, pid in (("10k", small_pid), (f"{args.big // 1000}k", big_pid)):
        results["scale"][name]["sql_claim"] = sql_claim_latency(url, pid, uids, 300 if args.quick else 1000)

    for level in levels:
        h, s = results["http"][str(level)], results["sql"][str(level)]
        f = results["floor"][str(level)]
        h["fraction_of_sql"] = round(h["claims_per_s"] / s["claims_per_s"], 2) if s["claims_per_s"] else None
        h["fraction_of_floor"] = combined_fraction(h["claims_per_s"], f["claims_per_s"], s["claims_per_s"])
    results["load_average_after"] = os.getloadavg()
    for table in tables(results, args.items, args.think):
        console.print(table)
    console.print(
        f"SQL statements (with BEGIN/COMMIT) per next: {results['statements']['next']}, "
        f"per submit: {results['statements']['submit']}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {RESULTS}", style="dim")


if __name__ == "__main__":
    main()
