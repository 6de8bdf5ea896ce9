"""AI critiques on the simulator: the planted-flaw recall measured against the planted one, and the time to
compute the report.

    .venv/bin/python benchmarks/assist_critiques.py [--items N] [--seed S]

Two cases on a fresh SQLite database each (``critiques/simulate.py``): a planted benefit (recall 0.27
without critiques, 0.45 with, the rates Saunders et al. 2022 report) and none (0.40 both). Each item has 3
planted flaws and 1 nitpick the critic also comments on (kept with probability 0.3), 2 judgments per item,
half the assignments shown the critique. ``run`` returns the rows (``benchmarks/assist.py`` calls it);
run alone it prints a table and writes benchmarks/results/assist_critiques.json."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from quorum.accounts import service as accounts
from quorum.critiques import report
from quorum.critiques.simulate import Plan, plant
from quorum.db import Database
from quorum.db.migrate import upgrade
from quorum.models import Project
from quorum.projects import service as projects

RESULTS = Path(__file__).parent / "results" / "assist_critiques.json"
CASES = {"benefit": (0.27, 0.45), "none": (0.40, 0.40)}


def _one(case: str, r0: float, r1: float, n_items: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        try:
            upgrade(database.engine)
            plan = Plan(n_items=n_items, r0=r0, r1=r1, seed=seed)
            with database.session() as db:
                people = [accounts.create_user(db, f"sim{i}") for i in range(8)]
                project = projects.create_project(db, None, name="sim", task_type="critique", config={})
                pid = project.id
                start = time.perf_counter()
                plant(db, project, people, plan)
                setup_s = time.perf_counter() - start
            with database.session() as db:
                start = time.perf_counter()
                section = report.section(db, db.get(Project, pid))
                compute_s = time.perf_counter() - start
        finally:
            database.dispose()
    shown, blind = section["recall_with_critiques"], section["recall_without_critiques"]
    diff, unmatched = section["recall_difference"], section["kept_comments_unmatched"]

    def covers(estimate: dict[str, Any], truth: float) -> bool:
        return estimate["low"] is not None and estimate["low"] <= truth <= estimate["high"]

    return {
        "case": case,
        "items": n_items,
        "judgments": n_items * plan.judgments_per_item,
        "planted_recall_without": r0,
        "measured_recall_without": blind,
        "planted_recall_with": r1,
        "measured_recall_with": shown,
        "planted_difference": r1 - r0,
        "measured_difference": diff,
        "planted_unmatched_share": plan.expected_unmatched,
        "measured_unmatched_share": unmatched,
        "all_within_intervals": covers(blind, r0) and covers(shown, r1) and covers(diff, r1 - r0)
        and covers(unmatched, plan.expected_unmatched),
        "setup_s": round(setup_s, 3),
        "compute_s": round(compute_s, 3),
    }  # fmt: skip


def run(n_items: int, seed: int) -> list[dict[str, Any]]:
    return [_one(case, r0, r1, n_items, seed) for case, (r0, r1) in CASES.items()]


def _fmt(e: dict[str, Any]) -> str:
    return "—" if e["value"] is None else f"{e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = run(args.items, args.seed)
    table = Table("case", "measure", "planted", "measured [95%]", "compute s")
    for row in rows:
        for name, planted, measured in (
            ("recall without", row["planted_recall_without"], row["measured_recall_without"]),
            ("recall with", row["planted_recall_with"], row["measured_recall_with"]),
            ("difference", row["planted_difference"], row["measured_difference"]),
            ("kept unmatched", row["planted_unmatched_share"], row["measured_unmatched_share"]),
        ):
            table.add_row(row["case"], name, f"{planted:.3f}", _fmt(measured), str(row["compute_s"]))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {"when": datetime.now(UTC).isoformat(), "machine": platform.platform(), "seed": args.seed}
    RESULTS.write_text(json.dumps({**meta, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
