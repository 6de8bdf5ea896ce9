"""The order tests run in under pytest-xdist's ``--dist worksteal``: the known-slow test files first, spread
over the workers, so the run does not end with one worker inside a minute-long file while the other idles.

worksteal hands worker ``j`` the ``j``-th of equal runs (by count) of the collection and, when a worker runs
dry, moves the *end* of the busiest worker's queue to it. So each run starts with its share of the slow
files (longest first, each to the least loaded run) and ends with quick tests, which stealing can even out.
A file stays in one piece: its module-scoped fixtures are built once. Files missing from ``SLOW_S`` keep
their collection order."""

from __future__ import annotations

import os

import pytest

# Seconds a file takes on an idle 2-core machine (setup included): a loaded run's `pytest --durations` scaled
# by its wall time against an idle run's (the Ray start measured idle). Rough values are enough, as they only
# choose an order; files under ~9 s need no entry.
SLOW_S: dict[str, float] = {
    "tests/test_executors.py": 60,  # a Ray start
    "tests/test_synthetic.py": 37,
    "tests/test_schemathesis.py": 29,
    "tests/test_queue_sql_vs_policy.py": 29,
    "tests/test_display_order.py": 27,
    "tests/test_export_method.py": 25,
    "tests/test_server_process.py": 23,
    "tests/test_queue_stress.py": 19,
    "tests/test_quality_cache.py": 19,
    "tests/test_models_local.py": 18,
    "tests/test_jobs_processes.py": 18,
    "tests/test_jobs_fault.py": 16,
    "tests/test_exports_training.py": 16,
    "tests/test_cli.py": 16,
    "tests/test_consensus_online.py": 15,
    "tests/test_judges.py": 14,
    "tests/test_active_learning.py": 13,
    "tests/test_active_batches.py": 12,
    "tests/test_suggestions_simulated.py": 12,
    "tests/test_startup_imports.py": 12,
    "tests/test_demo_simulated.py": 12,
    "tests/test_project_setup.py": 10,
    "tests/test_passwords.py": 10,
}


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def slow_first(
    items: list[pytest.Item], workers: int, slow_s: dict[str, float] = SLOW_S
) -> list[pytest.Item]:
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(_file(item), []).append(item)
    slow = sorted((f for f in files if f in slow_s), key=lambda f: -slow_s[f])
    rest = [f for f in files if f not in slow_s]
    runs: list[list[str]] = [[] for _ in range(max(1, workers))]
    load = [0.0] * len(runs)
    for f in slow:
        j = load.index(min(load))
        runs[j].append(f)
        load[j] += slow_s[f]
    # Quick files fill each run up to the count where xdist's next equal run begins.
    size = [sum(len(files[f]) for f in run) for run in runs]
    quick = list(reversed(rest))
    for j, run in enumerate(runs):
        ends = len(items) * (j + 1) / len(runs)
        while quick and (j == len(runs) - 1 or sum(size[: j + 1]) < ends):
            f = quick.pop()
            run.append(f)
            size[j] += len(files[f])
    return [item for run in runs for f in run for item in files[f]]


def workers() -> int:
    """How many pytest-xdist workers share the collection (1 without xdist)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
