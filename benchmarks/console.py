"""The manager console and review pages on a big project: server time per request.

    .venv/bin/python benchmarks/console.py [--items 100000] [--requests 30] [--db sqlite|postgresql]

In-process (Starlette's test client; SQLite in a temporary folder, or a fresh PostgreSQL database on
127.0.0.1), as benchmarks/pages.py: it excludes the network and the browser. Each database given with
``--db`` (both by default) gets the same data and the same requests; the searches must find the same
totals on both. The project gets ``--items`` classification items (one in ten with a word
the searches look for), and 200 judgments so the review page has work.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browser_support import import_rows, seed_people_and_projects
from pages import timed

from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.config import Settings
from quorum.db import Database, text_index
from quorum.db.migrate import upgrade
from quorum.projects import service as projects
from quorum.web.app import create_app

RESULTS = Path(__file__).parent / "results" / "console.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "quorum_bench_console"


def fresh_pg() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def build(database: Database, items: int) -> int:
    """The schema, the people and a classification project with ``items`` items; its id."""
    upgrade(database.engine)
    ids = seed_people_and_projects(database, items=1)
    pid = ids["classification"]
    rows = [
        {
            "external_id": f"b{i}",
            "payload": {"text": f"item {i} about {'zebras' if i % 10 == 0 else 'cats'} and more text " * 3},
            "priority": i % 100,
        }
        for i in range(items)
    ]
    import_rows(database, pid, rows)
    # What the items_search_index job does after the import (the pages below read the caught-up index).
    started = time.perf_counter()
    with database.sessionmaker() as db:
        indexed = text_index.catch_up(db, commit=lambda _: db.commit())
    print(f"search index caught up: {indexed} items in {time.perf_counter() - started:.1f} s")
    with database.session() as db:
        project = projects.find_project(db, pid)
        projects.update_project(db, None, project, {"review_rate": 0.5})
        rita = accounts.create_user(db, "rita", password="correct horse")
        projects.add_member(db, None, project, rita, "reviewer")
        ann = accounts.get_user(db, "ann")
        for _ in range(200):
            task = assignments.claim(db, ann, pid)
            if task is None:
                break
            assignments.submit(db, ann, task.assignment.id, {"labels": ["pos"]}, 1000)
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a big import: the visibility map lets counts read the
        # indexes only (right after the import every index entry would send PostgreSQL to its row).
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return pid


def measure(database: Database, tmp: str, pid: int, n: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Timings per request, and the total count each search of the items list found."""
    client = TestClient(create_app(Settings(data_dir=Path(tmp)), database))
    client.post("/login", data={"username": "boss", "password": "correct horse"})
    base = f"/projects/{pid}/items"
    api = f"/api/v1/projects/{pid}/items/search"
    deep = client.get(api, params={"sort": "-priority", "limit": 500})
    cursor = deep.json()["next_cursor"]
    reviewer = TestClient(create_app(Settings(data_dir=Path(tmp)), database))
    reviewer.post("/login", data={"username": "rita", "password": "correct horse"})
    searches: dict[str, dict[str, str]] = {
        "items page, no filter": {},
        "items page, sort -priority": {"sort": "-priority"},
        "items page, sort -priority, next page": {"sort": "-priority", "cursor": cursor},
        "items page, sort -judgments": {"sort": "-judgments"},
        "items page, search (1 in 10 match)": {"q": "zebras"},
        "items page, search (no match)": {"q": "okapi"},
        "items page, gold=no": {"gold": "no"},
        "items page, judged by ann": {"annotator": "ann"},
        "items page, answer=pos": {"answer": "pos"},
        "items page, sort confidence": {"sort": "confidence"},
    }
    cases: dict[str, Any] = {"GET /healthz (baseline)": lambda: client.get("/healthz")}
    for name, params in searches.items():
        cases[name] = lambda params=params: client.get(base, params=params)
    cases["review page (reviewer)"] = lambda: reviewer.get(f"/projects/{pid}/review")
    cases["project list (reviewer)"] = lambda: reviewer.get("/")
    cases["settings page"] = lambda: client.get(f"/projects/{pid}/settings")
    results = {}
    for name, fn in cases.items():
        response = fn()
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        results[name] = timed(fn, n)
    totals = {name: client.get(api, params=params).json()["total"] for name, params in searches.items()}
    return results, totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    names = args.db or ["sqlite", "postgresql"]
    timings: dict[str, dict[str, Any]] = {}
    totals: dict[str, dict[str, int]] = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            database = Database(f"sqlite:///{tmp}/bench.db" if name == "sqlite" else fresh_pg())
            pid = build(database, args.items)
            timings[name], totals[name] = measure(database, tmp, pid, args.requests)
            database.dispose()
    table = Table("request", *(f"{name} p50 / p95 ms" for name in names), "total found")
    for request in timings[names[0]]:
        found = {totals[name].get(request) for name in names}
        table.add_row(
            request,
            *(
                f"{timings[name][request]['p50_ms']:.1f} / {timings[name][request]['p95_ms']:.1f}"
                for name in names
            ),
            "" if found == {None} else " ≠ ".join(str(f) for f in sorted(found, key=str)),
        )
    Console(width=120).print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"items": args.items, "requests": args.requests, "timings": timings, "totals": totals}, indent=2
        )
    )
    if any(totals[name] != totals[names[0]] for name in names):
        raise SystemExit("the databases found different totals")


if __name__ == "__main__":
    main()
