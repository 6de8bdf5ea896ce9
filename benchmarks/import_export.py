"""Import and export at scale: time and peak memory for N item rows, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_export.py [--rows 100000] [--quick]

Peak memory is the process's maximum resident set size (``resource.getrusage``), measured in a fresh
child process per step so one step's peak does not hide the next. The baseline in the same run is
reading the same file with ``json.loads`` line by line and discarding it (the floor of any importer).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "quorum_bench_io"
RESULTS = Path(__file__).parent / "results" / "import_export.json"

STEP = r"""
import json, resource, sys, time
from pathlib import Path
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.projects.service import create_project
from quorum.items.importer import import_file
from quorum.exports.service import export_to_file
from quorum.accounts.access import find_project

url, step, path, out = sys.argv[1:5]
db = Database(url)
start = time.perf_counter()
if step == "baseline":
    n = sum(1 for line in open(path, "rb") if json.loads(line))
elif step == "import":
    upgrade(db.engine)
    with db.session() as s:
        p = create_project(s, None, name="bench", task_type="classification",
                           config={"labels": ["a", "b", "c"]})
        n = import_file(s, None, p, Path(path)).created
elif step == "reimport":
    with db.session() as s:
        n = import_file(s, None, find_project(s, "bench"), Path(path)).unchanged
else:
    with db.session() as s:
        n = export_to_file(s, None, find_project(s, "bench"), "jsonl", Path(out))
elapsed = time.perf_counter() - start
print(json.dumps({"rows": n, "seconds": elapsed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_file(path: Path, rows: int) -> None:
    with path.open("w") as f:
        for i in range(rows):
            row = {
                "external_id": f"r{i}",
                "payload": {"text": f"item {i} " + "lorem ipsum " * 20},
                "metadata": {"batch": i // 1000},
            }
            f.write(json.dumps(row) + "\n")


def run_step(url: str, step: str, path: Path, out: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", STEP, url, step, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def fresh_pg() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    args = parser.parse_args()
    rows = 10_000 if args.quick else args.rows
    table = Table("database", "step", "rows", "seconds", "rows/s", "peak RSS MB")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "items.jsonl"
        make_file(src, rows)
        size_mb = src.stat().st_size / 2**20
        for name, url in (("sqlite", f"sqlite:///{tmp}/bench.db"), ("postgresql", fresh_pg())):
            for step in ("baseline", "import", "reimport", "export"):
                r = run_step(url, step, src, Path(tmp) / "out.jsonl")
                results.append({"database": name, "step": step, **r})
                table.add_row(
                    name,
                    step,
                    str(int(r["rows"])),
                    f"{r['seconds']:.2f}",
                    f"{r['rows'] / r['seconds']:,.0f}",
                    f"{r['peak_rss_mb']:.0f}",
                )
    Console().print(f"input file: {rows:,} rows, {size_mb:.1f} MB")
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "file_mb": size_mb, "results": results}, indent=2))


if __name__ == "__main__":
    main()
