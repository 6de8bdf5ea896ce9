"""The manager console and review pages on a big project: server time per request.

    .venv/bin/python benchmarks/console.py [--items 100000] [--requests 30]

In-process (Starlette's test client, SQLite in a temporary folder), as benchmarks/pages.py: it excludes
the network and the browser. The project gets ``--items`` classification items (one in ten with a word
the searches look for), and 200 judgments so the review page has work.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browser_support import import_rows, seed_people_and_projects
from pages import timed

from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.config import Settings
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.projects import service as projects
from quorum.web.app import create_app

RESULTS = Path(__file__).parent / "results" / "console.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(database.engine)
        ids = seed_people_and_projects(database, items=1)
        pid = ids["classification"]
        rows = [
            {
                "external_id": f"b{i}",
                "payload": {
                    "text": f"item {i} about {'zebras' if i % 10 == 0 else 'cats'} and more text " * 3
                },
                "priority": i % 100,
            }
            for i in range(args.items)
        ]
        import_rows(database, pid, rows)
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
        client = TestClient(create_app(Settings(data_dir=Path(tmp)), database))
        client.post("/login", data={"username": "boss", "password": "correct horse"})
        base = f"/projects/{pid}/items"
        deep = client.get(f"/api/v1/projects/{pid}/items/search", params={"sort": "-priority", "limit": 500})
        cursor = deep.json()["next_cursor"]
        reviewer = TestClient(create_app(Settings(data_dir=Path(tmp)), database))
        reviewer.post("/login", data={"username": "rita", "password": "correct horse"})
        cases = {
            "GET /healthz (baseline)": lambda: client.get("/healthz"),
            "items page, no filter": lambda: client.get(base),
            "items page, sort -priority": lambda: client.get(base, params={"sort": "-priority"}),
            "items page, sort -priority, next page": lambda: client.get(
                base, params={"sort": "-priority", "cursor": cursor}
            ),
            "items page, sort -judgments": lambda: client.get(base, params={"sort": "-judgments"}),
            "items page, search (1 in 10 match)": lambda: client.get(base, params={"q": "zebras"}),
            "items page, search (no match)": lambda: client.get(base, params={"q": "okapi"}),
            "items page, gold=no": lambda: client.get(base, params={"gold": "no"}),
            "items page, judged by ann": lambda: client.get(base, params={"annotator": "ann"}),
            "items page, answer=pos": lambda: client.get(base, params={"answer": "pos"}),
            "items page, sort confidence": lambda: client.get(base, params={"sort": "confidence"}),
            "review page (reviewer)": lambda: reviewer.get(f"/projects/{pid}/review"),
            "project list (reviewer)": lambda: reviewer.get("/"),
            "settings page": lambda: client.get(f"/projects/{pid}/settings"),
        }
        results = {}
        for name, fn in cases.items():
            response = fn()
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            results[name] = timed(fn, args.requests)
    table = Table("request", "p50 ms", "p95 ms", "max ms")
    for name, r in results.items():
        table.add_row(name, f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['max_ms']:.1f}")
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"items": args.items, "requests": args.requests, "timings": results}, indent=2)
    )


if __name__ == "__main__":
    main()
