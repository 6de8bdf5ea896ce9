"""Bulk import and export over HTTP, each beside a bare baseline measured in the same run, on SQLite and
PostgreSQL.

    .venv/bin/python benchmarks/import_export.py [--rows 100000] [--quick] [--db sqlite|postgresql] [--import-only]

Pairwise items of about 1 KB (a conversation and two candidates, so every item also writes two
candidate rows) go to a real ``quorum serve`` process in one request. The baselines are what a bare
script does with the same data: the import one parses the file with orjson and writes the item rows with
``COPY`` (PostgreSQL) or one ``executemany`` transaction (SQLite) into a copy of the items table; the
export one streams the same items and their judgments with one plain ``SELECT`` each per page and writes
each row with orjson. ``fraction`` is our rate over the baseline's: the load on this shared machine
moves both alike. ``server MB`` is the server process's peak resident set during the step (a fresh
server per step) and, in brackets, its resident set before the request.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from assign import Server

from quorum.accounts import service as accounts
from quorum.db import Database, bulk
from quorum.db.migrate import upgrade
from quorum.models import Assignment, Item, Judgment, User
from quorum.projects import service as projects

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# One database per checkout: two checkouts' runs at once would each drop the other's.
PG_DB = "quorum_bench_io_" + re.sub(r"\W", "_", Path(__file__).resolve().parents[1].name).lower()
RESULTS = Path(__file__).parent / "results" / "import_export.json"
IMPORT_RESULTS = RESULTS.with_name("import.json")
ANNOTATORS = 2  # judgments per item in the export


def make_file(path: Path, rows: int) -> None:
    with path.open("wb") as f:
        for i in range(rows):
            row = {
                "external_id": f"r{i}",
                "payload": {
                    "messages": [{"role": "user", "content": f"question {i} " + "lorem ipsum " * 25}],
                    "candidates": [
                        {"content": "answer A " + "dolor sit " * 25, "model": "model-a"},
                        {"content": "answer B " + "amet " * 40, "model": "model-b", "params": {"t": 0.7}},
                    ],
                },
                "metadata": {"batch": i // 1000},
            }
            f.write(orjson.dumps(row) + b"\n")


def fresh_pg() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def setup(url: str) -> tuple[str, str]:
    """The schema, a manager's token and an empty pairwise project."""
    database = Database(url)
    upgrade(database.engine)
    with database.session() as db:
        manager = accounts.create_user(db, "manager", is_admin=True)
        token = accounts.create_token(db, manager)[1]
        projects.create_project(db, manager, name="bench", task_type="pairwise", config={})
        for i in range(ANNOTATORS):
            accounts.create_user(db, f"annotator{i}")
    database.dispose()
    return token, "bench"


def add_judgments(url: str) -> int:
    """``ANNOTATORS`` judgments per item, written in bulk (how they got there is not what is measured)."""
    database = Database(url)
    now = datetime.now(UTC)
    n = 0
    with database.session() as db:
        from sqlalchemy import select

        users = list(db.scalars(select(User.id).where(User.username.like("annotator%"))))
        items = db.execute(select(Item.id, Item.project_id).order_by(Item.id)).all()
        for start in range(0, len(items), 5000):
            page = items[start : start + 5000]
            for user in users:
                bulk.insert_rows(
                    db,
                    Assignment,
                    [
                        {"project_id": p, "item_id": i, "user_id": user, "status": "done", "expires_at": now}
                        for i, p in page
                    ],
                )
            assignment_ids = db.execute(
                select(Assignment.item_id, Assignment.user_id, Assignment.id).where(
                    Assignment.item_id.between(page[0][0], page[-1][0])
                )
            ).all()
            bulk.insert_rows(
                db,
                Judgment,
                [
                    {
                        "project_id": items[0][1],
                        "item_id": item_id,
                        "assignment_id": assignment_id,
                        "user_id": user_id,
                        "answer": {"choice": "A", "strength": "slightly", "axes": {}, "rationale": ""},
                        "time_spent_ms": 4000,
                        "guideline_version": 1,
                        "display_order": [0, 1],
                    }
                    for item_id, user_id, assignment_id in assignment_ids
                ],
            )
            n += len(assignment_ids)
        db.execute(Item.__table__.update().values(judgment_count=len(users)))
    database.dispose()
    return n


# ---- baselines -----------------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        for line in f:
            yield orjson.loads(line)


def baseline_import(url: str, path: Path) -> int:
    n = 0
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("CREATE TABLE bench_items AS SELECT * FROM items WHERE 0")
        conn.execute("CREATE UNIQUE INDEX ix_bench ON bench_items (project_id, external_id)")
        values = (
            (1, r["external_id"], orjson.dumps(r["payload"]).decode(), orjson.dumps(r["metadata"]).decode())
            for r in _rows(path)
        )
        with conn:
            for chunk in _chunks(values, 1000):
                conn.executemany(
                    "INSERT INTO bench_items (project_id, external_id, payload, metadata, gold, priority, "
                    "status, judgment_count, created_at) VALUES (?, ?, ?, ?, 'null', 0, 'open', 0, "
                    "CURRENT_TIMESTAMP)",
                    chunk,
                )
                n += len(chunk)
        conn.close()
        return n
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bench_items (LIKE items INCLUDING ALL)")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bench_items (project_id, external_id, payload, metadata, gold, priority, status, "
                "judgment_count, created_at) FROM STDIN"
            ) as copy,
        ):
            now = datetime.now(UTC)
            for r in _rows(path):
                copy.write_row(
                    (1, r["external_id"], orjson.dumps(r["payload"]).decode(),
                     orjson.dumps(r["metadata"]).decode(), "null", 0.0, "open", 0, now)
                )  # fmt: skip
                n += 1
    return n


def _chunks(values: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for v in values:
        chunk.append(v)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def baseline_export(url: str, out: Path) -> int:
    """Pages of 1,000 items by id, their judgments in one query per page, one orjson line per item."""
    database = Database(url)
    n = 0
    with database.engine.connect() as conn, out.open("wb") as f:
        raw: Any = conn.connection.driver_connection
        mark = "?" if url.startswith("sqlite") else "%s"
        after = 0
        while True:
            cur = raw.cursor()
            cur.execute(
                f"SELECT id, external_id, payload, metadata FROM items WHERE id > {mark} ORDER BY id LIMIT 1000",
                (after,),
            )
            items = cur.fetchall()
            if not items:
                break
            after = items[-1][0]
            cur.execute(
                "SELECT j.item_id, u.username, j.answer, j.time_spent_ms, j.created_at FROM judgments j "
                f"JOIN users u ON u.id = j.user_id WHERE j.item_id BETWEEN {mark} AND {mark} ORDER BY j.id",
                (items[0][0], after),
            )
            judgments: dict[int, list[Any]] = {}
            for item_id, user, answer, ms, at in cur.fetchall():
                judgments.setdefault(item_id, []).append(
                    {"annotator": user, "answer": answer, "time_spent_ms": ms, "created_at": str(at)}
                )
            for item_id, external_id, payload, metadata in items:
                row = {"external_id": external_id, "payload": payload, "metadata": metadata}
                f.write(orjson.dumps({**row, "judgments": judgments.get(item_id, [])}) + b"\n")
                n += 1
    database.dispose()
    return n


def export_outputs(url: str, out: Path) -> list[tuple[str, int, float, float, float]]:
    """The export written in-process to a file as JSON lines, Parquet and a ``datasets`` folder (what the
    export job and ``quorum export`` run): rows and seconds of each, the JSON lines one the reference."""
    from sqlalchemy import select

    from quorum.exports.service import export_to_file
    from quorum.models import Project

    database = Database(url)
    nan = float("nan")
    steps: list[tuple[str, int, float, float, float]] = []
    try:
        for output in ("jsonl", "parquet", "hf"):
            with database.session() as db:
                project = db.scalars(select(Project)).one()
                target = out.with_suffix(f".{output}")
                start = time.perf_counter()
                n = export_to_file(db, None, project, "jsonl", target, output=output)
                s = time.perf_counter() - start
            steps.append((f"export to {output} (in-process)", n, s, nan, nan))
    finally:
        database.dispose()
    return steps


# ---- over HTTP -----------------------------------------------------------------------------------------


def server_mb(server: Server, field: str) -> float:
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def http_step(
    url: str, token: str, ref: str, step: str, path: Path, out: Path
) -> tuple[int, float, float, float]:
    """Rows, seconds of the request alone, the server's peak RSS and its RSS before the request."""
    server = Server(url, workers=1)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=600) as http:
            http.get("/api/v1/me")  # a first request loads what every request needs
            idle = server_mb(server, "VmRSS")
            start = time.perf_counter()
            if step in ("import", "reimport"):

                def body() -> Iterator[bytes]:
                    with path.open("rb") as f:
                        while chunk := f.read(1 << 20):
                            yield chunk

                r = http.post(
                    f"/api/v1/projects/{ref}/items/import", params={"filename": path.name}, content=body()
                )
                r.raise_for_status()
                report = r.json()
                n = report["created"] if step == "import" else report["unchanged"]
            else:
                n = 0
                with http.stream("GET", f"/api/v1/projects/{ref}/export") as r, out.open("wb") as f:
                    r.raise_for_status()
                    for chunk in r.iter_bytes():
                        f.write(chunk)
                        n += chunk.count(b"\n")
        return n, time.perf_counter() - start, server_mb(server, "VmHWM"), idle
    finally:
        server.stop()


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument(
        "--import-only", action="store_true", help="skip the export steps (a 1M-item import on its own)"
    )
    parser.add_argument("--no-outputs", action="store_true", help="skip the Parquet and datasets exports")
    args = parser.parse_args()
    rows = 10_000 if args.quick else args.rows
    table = Table("database", "step", "rows", "seconds", "rows/s", "baseline rows/s", "fraction", "server MB")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "items.jsonl"
        make_file(src, rows)
        size_mb = src.stat().st_size / 2**20
        out = Path(tmp) / "out.jsonl"
        for name in args.db or ["sqlite", "postgresql"]:
            url = f"sqlite:///{tmp}/bench.db" if name == "sqlite" else fresh_pg()
            token, ref = setup(url)
            base_n, base_s = timed(baseline_import, url, src)
            nan = float("nan")
            steps: list[tuple[str, int, float, float, float]] = [
                ("baseline import", base_n, base_s, nan, nan)
            ]
            for step in ("import", "reimport"):
                steps.append((step, *http_step(url, token, ref, step, src, out)))
            judgments, exp_n, exp_s = 0, 0, nan
            if not args.import_only:
                judgments = add_judgments(url)
                exp_n, exp_s = timed(baseline_export, url, out)
                steps.append(("baseline export", exp_n, exp_s, nan, nan))
                steps.append(("export", *http_step(url, token, ref, "export", src, out)))
                if not args.no_outputs:
                    steps.extend(export_outputs(url, out))
            for step, n, s, mb, idle in steps:
                base = (base_n / base_s) if "import" in step else (exp_n / exp_s)
                fraction = (n / s) / base
                results.append(
                    {"database": name, "step": step, "rows": n, "seconds": s, "server_peak_rss_mb": mb,
                     "server_idle_rss_mb": idle,
                     "fraction_of_baseline": fraction, "judgments": judgments if "export" in step else 0}
                )  # fmt: skip
                table.add_row(
                    name, step, f"{n:,}", f"{s:.2f}", f"{n / s:,.0f}", f"{base:,.0f}", f"{fraction:.2f}",
                    "" if mb != mb else f"{mb:.0f} (idle {idle:.0f})",
                )  # fmt: skip
    console = Console(width=150)
    console.print(
        f"input file: {rows:,} pairwise items, {size_mb:.1f} MB; export with {ANNOTATORS} judgments each"
    )
    console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    # An import-only run leaves the full run's file alone.
    (IMPORT_RESULTS if args.import_only else RESULTS).write_text(
        json.dumps({"rows": rows, "file_mb": size_mb, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
