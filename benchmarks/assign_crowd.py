"""``assign.py --crowd N``: N annotators who read each item for about ``think`` seconds (+-50%), as people
do, against ``quorum serve``; what it reports is the latency they meet and the errors, not capacity.

The generator is one asyncio process. Its own CPU is measured beside the result: a generator near a full
core would queue requests itself and report its own delay as the server's.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import time
from pathlib import Path
from typing import Any

import aiohttp
from assign_http import ask_next, send_answer
from assign_sql import Run
from rich.table import Table

LABELS = ["a", "b", "c"]
# Below the server's keep-alive (QUORUM_KEEP_ALIVE_SECONDS, 75 s) and above a reading time, as a browser
# keeps a used connection (Chrome: 5 minutes): the client closes an idle connection before the server
# does, so a request is never sent down a connection the server is closing.
CLIENT_KEEPALIVE_S = 60.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its live children (the server's worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _ticks(pid)
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


async def _annotator(
    http: aiohttp.ClientSession, token: str, pid: int, until: float, run: Run, think: float
) -> None:
    """Ask for an item, read it, answer it; again until ``until``."""
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(token)
    # People do not start in step: arrivals spread over one reading time.
    await asyncio.sleep(rng.uniform(0, think))
    while time.perf_counter() < until:
        assignment = await ask_next(http, pid, headers, run)
        if assignment is None:
            await asyncio.sleep(1)
            continue
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        body = {"answer": {"labels": [rng.choice(LABELS)]}, "time_spent_ms": int(think * 1000)}
        await send_answer(http, headers, run, assignment, body)


async def crowd(
    base: str, tokens: list[str], pid: int, seconds: float, think: float, server_pid: int
) -> tuple[Run, dict[str, float]]:
    """``len(tokens)`` annotators for ``seconds``; also the CPU the generator and the server used."""
    run = Run()
    connector = aiohttp.TCPConnector(limit=len(tokens), keepalive_timeout=CLIENT_KEEPALIVE_S)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        cpu, server_cpu = _cpu_seconds(), process_tree_cpu(server_pid)
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_annotator(http, token, pid, until, run, think) for token in tokens))
        run.seconds = time.perf_counter() - started
        used = {
            "generator_cpu_fraction": round((_cpu_seconds() - cpu) / run.seconds, 3),
            "server_cpu_fraction": round((process_tree_cpu(server_pid) - server_cpu) / run.seconds, 3),
        }
    return run, used


def crowd_table(result: dict[str, Any]) -> Table:
    table = Table(
        title=(
            f"{result['annotators']:,} annotators reading {result['think_s']:g} s (+-50%) per item, "
            f"{result['seconds']:.0f} s, quorum serve --workers {result['workers']}, PostgreSQL"
        )
    )
    columns = ("pairs/s", "next p50", "p95", "p99", "submit p50", "p95", "p99", "errors", "generator CPU")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{result['claims_per_s']:.1f}",
        *(
            f"{result[k]:.1f}"
            for k in ("next_p50_ms", "next_p95_ms", "next_p99_ms", "submit_p50_ms", "submit_p95_ms")
        ),
        f"{result['submit_p99_ms']:.1f}",
        str(sum(result["errors"].values())),
        f"{result['generator_cpu_fraction']:.0%}",
    )
    return table
