"""The two timed requests of a simulated annotator, shared by the closed-loop and the paced benchmarks."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from assign_sql import Run


async def ask_next(
    http: aiohttp.ClientSession, pid: int, headers: dict[str, str], run: Run
) -> dict[str, Any] | None:
    """One timed ``next``: the assignment, or None with the error counted in ``run``."""
    started = time.perf_counter()
    try:
        async with http.post(f"/api/v1/projects/{pid}/next", headers=headers) as r:
            status = r.status
            found = await r.json() if status == 200 else None
    except (aiohttp.ClientError, TimeoutError) as exc:
        run.error(f"next {type(exc).__name__}")
        return None
    run.next_ms.append((time.perf_counter() - started) * 1000)
    if found is None:
        run.error(f"next {status}")
        return None
    assignment: dict[str, Any] = found["assignment"]
    return assignment


async def send_answer(
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    run: Run,
    assignment: dict[str, Any],
    body: dict[str, Any],
) -> None:
    """One timed ``submit`` of ``body``; a claim counted in ``run`` when it is stored."""
    started = time.perf_counter()
    try:
        async with http.post(
            f"/api/v1/assignments/{assignment['id']}/submit",
            json=body,
            headers={**headers, "Idempotency-Key": f"k{assignment['id']}"},
        ) as s:
            status = s.status
            await s.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        run.error(f"submit {type(exc).__name__}")
        return
    run.submit_ms.append((time.perf_counter() - started) * 1000)
    if status == 201:
        run.claims += 1
    else:
        run.error(f"submit {status}")
