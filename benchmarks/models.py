"""Model work at scale: the generation job's throughput and bookkeeping CPU against a local OpenAI-protocol
server with 50 ms of simulated latency, beside the server's own ceiling measured in the same run.

    .venv/bin/python benchmarks/models.py [--quick]

The server (aiohttp, its own process, so its CPU is not ours) answers every chat completion after 50 ms.
The baseline is a bare threaded client (httpx, 32 threads, one shared connection pool) posting the same
requests: the most any client in this process could get out of that server. The job is the real one (the
``generate`` kind run by ``jobs.runner`` on SQLite, 2 models x 1 sample per item, concurrency 32): calls,
ledger rows, generations and built comparisons. Bookkeeping CPU per call is the job's process CPU minus
the bare client's, divided by the calls. A ``dedup`` section is added when ``benchmarks/dedup.py`` exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx2
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
RESULTS = Path(__file__).parent / "results" / "models.json"
LATENCY_S = 0.05
CONCURRENCY = 32
KEY = "sk-bench"


def _serve(conn: Connection) -> None:
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(LATENCY_S)
        text = f"reply {body.get('seed', 0)} from {body['model']}"
        return web.json_response(
            {
                "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12},
            }
        )  # fmt: skip

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def bare_client(url: str, calls: int) -> dict[str, float]:
    client = httpx2.Client(
        limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64), timeout=60
    )
    body = {"model": "bench", "messages": [{"role": "user", "content": "question?"}]}

    def one(i: int) -> int:
        r = client.post(
            f"{url}/chat/completions", json={**body, "seed": i}, headers={"Authorization": f"Bearer {KEY}"}
        )
        r.json()
        return r.status_code

    cpu, start = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        codes = list(pool.map(one, range(calls)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    client.close()
    return {
        "calls": calls,
        "ok": sum(c == 200 for c in codes),
        "seconds": wall,
        "calls_per_s": calls / wall,
        "cpu_s": cpu,
    }


def generation_job(url: str, calls: int, tmp: Path) -> dict[str, float]:
    from sqlalchemy import func, select

    from quorum.accounts import service as accounts
    from quorum.config import Settings
    from quorum.db import Database
    from quorum.db.migrate import upgrade
    from quorum.generation import service as generation
    from quorum.generation.spec import parse_request
    from quorum.items.importer import import_file
    from quorum.jobs.queue import attach
    from quorum.jobs.registry import SETTINGS_INFO_KEY
    from quorum.jobs.runner import run_job
    from quorum.models import Generation, Job, ModelCall
    from quorum.projects.service import create_project
    from quorum.providers import service as providers

    os.environ["BENCH_KEY"] = KEY
    database = Database(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(database.engine)
    database.session_info[SETTINGS_INFO_KEY] = Settings(data_dir=tmp)

    class Held:
        def enqueue(self, job_id: int) -> None:
            pass

    attach(database, Held())
    n_items = calls // 2
    rows = tmp / "prompts.jsonl"
    rows.write_text("".join(
        json.dumps({"external_id": f"q{i}", "payload": {"messages": [{"role": "user", "content": f"question {i}?"}]}}) + "\n"
        for i in range(n_items)
    ))  # fmt: skip
    with database.session() as db:
        owner = accounts.create_user(db, "bench", password="bench password", is_admin=True)
        project = create_project(db, None, name="bench", task_type="pairwise", config={}, overlap=1,
                                 lease_seconds=900, guidelines="")  # fmt: skip
        import_file(db, None, project, rows)
        for name in ("model-a", "model-b"):
            spec = providers.ModelSpec(name=name, base_url=url, remote_model="bench", api_key_env="BENCH_KEY")
            providers.add_model(db, None, spec, allow_link_local=False)
        request = parse_request({"models": ["model-a", "model-b"], "concurrency": CONCURRENCY})
        job_id = generation.submit(db, owner, project, request).id
    cpu, start = time.process_time(), time.perf_counter()
    run_job(database, job_id)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with database.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        status, result = job.status, job.result or {}
        stored = db.scalar(select(func.count()).select_from(Generation)) or 0
        ledger = db.scalar(select(func.count()).select_from(ModelCall)) or 0
    database.dispose()
    return {
        "calls": calls, "status": status, "generated": result.get("generated", 0), "failed": result.get("failed", 0),
        "generations_rows": stored, "model_calls_rows": ledger, "items_filled": result.get("items_filled", 0),
        "seconds": wall, "calls_per_s": calls / wall, "cpu_s": cpu,
    }  # fmt: skip


def generation_section(quick: bool) -> list[dict[str, Any]]:
    calls = 1_000 if quick else 10_000
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{parent.recv()}/v1"
        bare_client(url, 200)  # warm-up: connections, imports
        bare = bare_client(url, calls)
        with tempfile.TemporaryDirectory(prefix="quorum-bench-models-") as tmp:
            job = generation_job(url, calls, Path(tmp))
    finally:
        server.terminate()
        server.join(5)
    overhead_ms = max(0.0, job["cpu_s"] - bare["cpu_s"]) / calls * 1000
    return [
        {"section": "generation", "step": "server ceiling (bare threaded client, 32)", "calls": calls,
         "seconds": round(bare["seconds"], 3), "calls_per_s": round(bare["calls_per_s"], 1),
         "cpu_ms_per_call": round(bare["cpu_s"] / calls * 1000, 3), "note": f"{bare['ok']} ok"},
        {"section": "generation", "step": "generate job (2 models, concurrency 32)", "calls": calls,
         "seconds": round(job["seconds"], 3), "calls_per_s": round(job["calls_per_s"], 1),
         "cpu_ms_per_call": round(job["cpu_s"] / calls * 1000, 3),
         "note": f"{job['status']}: {job['generated']} generated, {job['failed']} failed, "
                 f"{job['items_filled']} items filled; {job['calls_per_s'] / bare['calls_per_s']:.0%} of the ceiling; "
                 f"target >= 400 calls/s"},
        {"section": "generation", "step": "job bookkeeping CPU per call (job - bare client)", "calls": calls,
         "seconds": None, "calls_per_s": None, "cpu_ms_per_call": round(overhead_ms, 3), "note": "target < 1 ms"},
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 calls instead of 10,000")
    args = parser.parse_args()
    rows = generation_section(args.quick)
    if (Path(__file__).parent / "dedup.py").exists():
        from dedup import dedup_section  # type: ignore[import-not-found]

        rows += dedup_section(args.quick)
    # One table per shape of row (the generation steps, the dedup cases): their columns differ.
    console = Console(width=max(Console().width, 160))
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        shapes.setdefault(tuple(r), []).append(r)
    for columns, group in shapes.items():
        table = Table(*columns)
        for r in group:
            table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
        console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"quick": args.quick, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
