"""The annotator page: weight in bytes and server time per request, against the framework's floor.

    .venv/bin/python benchmarks/pages.py [--requests 300]

Server time is measured in-process (Starlette's test client calling the ASGI app, SQLite in a temporary
folder), so it excludes the network and the browser. The baseline in the same run is `/healthz`, which
does no work: the difference is what our page costs. Weight is the HTML plus every script and stylesheet
the page links to.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browser_support import seed_people_and_projects

from quorum.config import Settings
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.web.app import create_app

RESULTS = Path(__file__).parent / "results" / "pages.json"


def timed(fn, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(0.95 * (n - 1))],
        "max_ms": samples[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(database.engine)
        ids = seed_people_and_projects(database, items=args.requests + 10)
        client = TestClient(create_app(Settings(data_dir=Path(tmp)), database))
        client.post("/login", data={"username": "ann", "password": "correct horse"})
        page_url = f"/projects/{ids['classification']}/work"
        html = client.get(page_url).text
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        weight = {"html": len(html.encode())}
        for asset in assets:
            weight[asset] = len(client.get(asset).content)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]

        def next_item() -> None:
            # Skip after each fetch so every request claims and renders a fresh item.
            fragment = client.post(
                f"/ui/projects/{ids['classification']}/next", headers={"X-CSRF-Token": csrf}
            )
            assignment = re.search(r'data-assignment="(\d+)"', fragment.text).group(1)  # type: ignore[union-attr]
            client.post(f"/api/v1/assignments/{assignment}/skip", json={}, headers={"X-CSRF-Token": csrf})

        rows = {
            "GET /healthz (baseline)": timed(lambda: client.get("/healthz"), args.requests),
            "GET workspace page": timed(lambda: client.get(page_url), args.requests),
            "POST next item fragment + skip": timed(next_item, args.requests),
        }
    total = sum(weight.values())
    table = Table("request", "p50 ms", "p95 ms", "max ms")
    for name, r in rows.items():
        table.add_row(name, f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['max_ms']:.1f}")
    console = Console()
    console.print(table)
    console.print(
        f"page weight: {total / 1024:.1f} KB ({', '.join(f'{k} {v / 1024:.1f} KB' for k, v in weight.items())})"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"requests": args.requests, "timings": rows, "weight_bytes": weight, "total_weight_bytes": total},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
