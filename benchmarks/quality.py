"""Aggregation methods, ours vs crowd-kit: time, peak memory and accuracy on the same data.

    .venv/bin/python benchmarks/quality.py [--quick]

Data: a synthetic set of 1,000,000 judgments (100,000 items x 10 judgments, 1,000 annotators of
varied accuracy and activity, 4 classes, seeded; ``--quick``: 100,000 judgments, 10,000 items) and
the real data sets under ../shared/data/crowd. Both implementations get the same integer-coded
answers (ours as arrays, crowd-kit as a DataFrame); encoding and DataFrame building are not timed.

crowd-kit's GLAD needs about a second per thousand judgments, so on the synthetic set it runs on a
documented subset (the first 5,000 items with all their judgments; 2,000 with ``--quick``), and
ours is timed on that subset too. "mace-1" is MACE from one random start: crowd-kit 1.4.2's ten
restarts all use the same seed, so it always runs as ``MACE(n_restarts=1)``; ours is timed both
with its default ten starts ("mace") and with one. crowd-kit's MACE gets its rows sorted by worker
(its 1.4.2 E-step misaligns workers otherwise, see tests/quality/test_real_data.py).

Peak memory: each run happens in a forked child process; the child first touches its inputs and
resets its high-water mark (``/proc/self/clear_refs``), then reports the peak resident set size
during the run minus the resident size just before it (``VmHWM - VmRSS`` from ``/proc/self/status``),
i.e. the extra memory the method needed. Results go to benchmarks/results/quality.json
(``--quick``: quality-quick.json).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from quorum.core.aggregation import METHODS, mace
from quorum.quality.csv_input import read_answers, read_rows

RESULTS = Path(__file__).parent / "results" / "quality.json"
QUICK_RESULTS = RESULTS.with_name("quality-quick.json")  # so a smoke run never replaces the full one
CROWD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "crowd"
REAL_SETS = {
    "D_Product": "d_jn-product",
    "D_PosSent": "d_sentiment",
    "Dog": "s4_Dog_data",
    "Face": "s4_Face_Sentiment_Identification",
}
TIMEOUT_S = 1200


@dataclass
class Answers:
    name: str
    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    truth: np.ndarray
    n_tasks: int
    n_workers: int
    n_labels: int

    def first_items(self, n_items: int, name: str) -> Answers:
        keep = self.tasks < n_items
        workers, codes = np.unique(self.workers[keep], return_inverse=True)
        return Answers(
            name,
            self.tasks[keep],
            codes,
            self.labels[keep],
            self.truth[:n_items],
            n_items,
            workers.size,
            self.n_labels,
        )


@dataclass
class Row:
    data: str
    n_answers: int
    method: str
    impl: str
    seconds: float | None
    peak_mb: float | None
    accuracy: float | None
    note: str = ""


def synthetic(n_items: int, n_workers: int = 1000, per_item: int = 10, seed: int = 0) -> Answers:
    """4 classes with prior 40/30/20/10. Workers: 50% fair (accuracy ~ Beta(5, 3), mean 0.63), 30%
    weak (Beta(2, 3), mean 0.4), 10% random clickers, 10% who always give the same label; a wrong
    answer is uniform over the other labels. Activity ~ lognormal, so some workers do far more."""
    n_labels = 4
    rng = np.random.default_rng(seed)
    truth = rng.choice(n_labels, n_items, p=[0.4, 0.3, 0.2, 0.1])
    kind = rng.choice(4, n_workers, p=[0.5, 0.3, 0.1, 0.1])
    accuracy = np.where(kind == 0, rng.beta(5, 3, n_workers), rng.beta(2, 3, n_workers))
    favourite = rng.integers(0, n_labels, n_workers)
    log_activity = rng.normal(0, 1, n_workers)
    workers = np.empty((n_items, per_item), dtype=np.int64)
    for start in range(0, n_items, 10_000):
        # Weighted sampling without replacement per item: the top-k of Gumbel-perturbed log weights.
        keys = log_activity + rng.gumbel(size=(min(10_000, n_items - start), n_workers))
        workers[start : start + keys.shape[0]] = np.argpartition(-keys, per_item, axis=1)[:, :per_item]
    tasks = np.repeat(np.arange(n_items), per_item)
    workers = workers.ravel()
    right = rng.random(tasks.size) < accuracy[workers]
    wrong = (truth[tasks] + rng.integers(1, n_labels, tasks.size)) % n_labels
    labels = np.where(right, truth[tasks], wrong)
    labels = np.where(kind[workers] == 2, rng.integers(0, n_labels, tasks.size), labels)
    labels = np.where(kind[workers] == 3, favourite[workers], labels)
    name = f"synthetic {tasks.size // 1000}k"
    return Answers(name, tasks, workers, labels, truth, n_items, n_workers, n_labels)


def real(folder: Path, name: str) -> Answers:
    coded = read_answers(folder / "answer.csv")
    codes = {label: code for code, label in enumerate(coded.label_names)}
    truth = {q: t for _, (q, t) in read_rows(folder / "truth.csv", ("question", "truth"))}
    labels = np.array([codes.get(truth.get(task, ""), -2) for task in coded.task_names])
    return Answers(
        name,
        coded.tasks,
        coded.workers,
        coded.labels,
        labels,
        coded.n_tasks,
        coded.n_workers,
        coded.n_labels,
    )


def _status() -> dict[str, int]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


def _crowdkit(method: str) -> Any:
    from crowdkit import aggregation

    return {
        "mv": aggregation.MajorityVote,
        "ds": lambda: aggregation.DawidSkene(n_iter=100),
        "glad": aggregation.GLAD,
        "mace-1": lambda: aggregation.MACE(n_restarts=1),
    }[method]()


def _prepare(data: Answers, method: str, impl: str) -> Callable[[], np.ndarray]:
    if impl == "quorum":
        for array in (data.tasks, data.workers, data.labels):
            array.sum()  # touch the pages so the baseline includes them

        def ours() -> np.ndarray:
            args = (data.tasks, data.workers, data.labels, data.n_tasks, data.n_workers, data.n_labels)
            if method == "mace-1":
                return mace(*args, n_restarts=1).labels
            return METHODS[method](*args).labels

        return ours
    import pandas as pd

    order = (
        np.lexsort((data.labels, data.workers)) if method.startswith("mace") else np.arange(data.tasks.size)
    )
    frame = pd.DataFrame(
        {"task": data.tasks[order], "worker": data.workers[order], "label": data.labels[order]}
    )
    model = _crowdkit(method)

    def theirs() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = model.fit_predict(frame)
        return np.asarray(labels.reindex(np.arange(data.n_tasks)).fillna(-1).to_numpy(dtype=np.int64))

    return theirs


def _child(connection: Connection, data: Answers, method: str, impl: str) -> None:
    run = _prepare(data, method, impl)
    with contextlib.suppress(OSError):  # without a reset the peak can only be over-reported
        Path("/proc/self/clear_refs").write_text("5")
    before = _status()["VmRSS"]
    start = time.perf_counter()
    labels = run()
    seconds = time.perf_counter() - start
    peak = _status()["VmHWM"]
    accuracy = float(np.mean(labels == data.truth))
    connection.send({"seconds": seconds, "peak_mb": (peak - before) / 1024, "accuracy": accuracy})


def measure(data: Answers, method: str, impl: str, note: str = "") -> Row:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, data, method, impl))
    process.start()
    sender.close()
    result: dict[str, float] | None = None
    if receiver.poll(TIMEOUT_S):
        try:
            result = receiver.recv()
        except EOFError:
            result = None
    if process.is_alive():
        process.terminate()
    process.join()
    if result is None:
        why = (
            f"timed out after {TIMEOUT_S} s"
            if process.exitcode in (None, -15)
            else f"failed ({process.exitcode})"
        )
        return Row(data.name, data.tasks.size, method, impl, None, None, None, why)
    return Row(
        data.name,
        data.tasks.size,
        method,
        impl,
        result["seconds"],
        result["peak_mb"],
        result["accuracy"],
        note,
    )


def render(rows: list[Row]) -> None:
    table = Table(title="Aggregation: quorum vs crowd-kit (same data, same run)")
    for column in ("data", "answers", "method", "impl", "time (s)", "peak +MB", "accuracy", "note"):
        table.add_column(
            column, justify="right" if column in ("answers", "time (s)", "peak +MB", "accuracy") else "left"
        )
    for row in rows:
        table.add_row(
            row.data,
            f"{row.n_answers:,}",
            row.method,
            row.impl,
            "-" if row.seconds is None else f"{row.seconds:.2f}",
            "-" if row.peak_mb is None else f"{row.peak_mb:.1f}",
            "-" if row.accuracy is None else f"{row.accuracy:.4f}",
            row.note,
        )
    Console(width=max(Console().width, 100)).print(table)


def plan(quick: bool) -> list[tuple[Answers, str, str]]:
    """(data, method, implementation) runs. "mace-1" is MACE from one random start: crowd-kit's
    10 restarts share one seed, so it always runs as one; ours is shown both ways."""
    n_items = 10_000 if quick else 100_000
    subset_items = 2_000 if quick else 5_000
    full = synthetic(n_items)
    subset = full.first_items(subset_items, f"synthetic {subset_items * 10 // 1000}k subset")
    runs = [(full, method, impl) for method in ("mv", "ds") for impl in ("quorum", "crowd-kit")]
    runs += [
        (full, "glad", "quorum"),
        (full, "mace", "quorum"),
        (full, "mace-1", "quorum"),
        (full, "mace-1", "crowd-kit"),
    ]
    # crowd-kit's GLAD needs about 1 s per 1,000 judgments: time both on a subset.
    runs += [(subset, "glad", "quorum"), (subset, "glad", "crowd-kit")]
    for name, folder in REAL_SETS.items():
        if not (CROWD / folder).is_dir():
            continue
        data = real(CROWD / folder, name)
        runs += [(data, method, "quorum") for method in METHODS]
        runs += [(data, method, "crowd-kit") for method in ("mv", "ds", "mace-1")]
        if not quick or data.tasks.size <= 10_000:
            runs.append((data, "glad", "crowd-kit"))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100k synthetic judgments instead of 1M")
    args = parser.parse_args()
    console = Console(stderr=True)
    rows: list[Row] = []
    load_before = os.getloadavg()
    for data, method, impl in plan(args.quick):
        console.print(f"{data.name}: {method} / {impl}")
        rows.append(measure(data, method, impl))
    render(rows)
    target = QUICK_RESULTS if args.quick else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "quality aggregation",
        "mode": "quick" if args.quick else "full",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": multiprocessing.cpu_count(),
        },
        "versions": {name: version(name) for name in ("numpy", "scipy", "pandas", "crowd-kit")},
        # Timings are only comparable within one run, and only when nothing else loads the machine.
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "memory": "peak RSS during the call minus RSS just before it, in a forked child (VmHWM - VmRSS)",
        "results": [asdict(row) for row in rows],
    }
    target.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {target}")


if __name__ == "__main__":
    main()
