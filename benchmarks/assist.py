"""Model assistance on the simulator: measured effects against the planted ones, and the report's time.

    .venv/bin/python benchmarks/assist.py [--quick]

Suggestions: classification with 3 labels, 10,000 items x 3 judgments (``--quick``: 2,000 items), 80% of
assignments shown the item's suggestion (right 70% of the time), annotators right 80% of the time on
their own; each planted anchoring tendency q (take a shown suggestion as it is, whatever the truth) is
recovered by the report's ``anchoring_tendency`` and its effect q * (1 - P(agree | blind)) by
``anchoring_effect``, each with its 95% bootstrap interval over items (1000 resamples). The timing row
computes the whole suggestions section (``core/suggestions_report.measure`` after building its arrays
from per-judgment rows, as ``assistance/service`` does) over 100,000 judgments; the target is under 2 s.

The same anchoring measurement on real data (hh-rlhf preferences, suggestions from a cheap real model)
comes from ``assist_hh.run``. AI critiques and AI judges add their rows through ``assist_critiques.run`` / ``assist_judges.run``
(``run(quick: bool) -> list[dict]``, each row with at least ``effect``, ``planted``, ``measured``,
``low``, ``high``), called below when those modules exist. Results: benchmarks/results/assist.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from quorum.assistance.service import to_judgments
from quorum.core.suggestions_report import measure
from quorum.simulate.anchoring import Plan, simulate

RESULTS = Path(__file__).parent / "results" / "assist.json"
# Other kinds of assistance plug their rows in here (modules beside this one; absent ones are skipped).
OTHER_KINDS = ("assist_hh", "assist_critiques", "assist_judges")
TARGET_S = 2.0


def suggestion_rows(quick: bool) -> list[dict[str, Any]]:
    rows = []
    for q in (0.0, 0.1, 0.3, 0.6):
        plan = Plan(n_items=2_000 if quick else 10_000, per_item=3, q=q)
        j, names = simulate(plan, seed=int(q * 100) + 1)
        report = measure(j, names, flag_threshold=None, n_boot=1000, seed=7)
        effect, tendency = report["anchoring_effect"], report["anchoring_tendency"]
        rows.append(
            {
                "effect": "suggestions: anchoring",
                "items": plan.n_items,
                "judgments": int(j.item.size),
                "planted": q,
                "measured": tendency["value"],
                "low": tendency["low"],
                "high": tendency["high"],
                "covered": tendency["low"] <= q <= tendency["high"],
                "planted_effect": plan.expected_effect(),
                "measured_effect": effect["value"],
                "effect_low": effect["low"],
                "effect_high": effect["high"],
                "effect_covered": effect["low"] <= plan.expected_effect() <= effect["high"],
            }
        )
    return rows


def timing(n_judgments: int = 100_000) -> dict[str, Any]:
    plan = Plan(n_items=n_judgments // 10, per_item=10, gold_share=0.1, probe_rate=0.2, q=0.3)
    j, names = simulate(plan, seed=11)
    # The per-judgment rows the service builds from the database, then the arrays and the statistics.
    rows = [
        (int(i), names[int(a)], bool(s), bool(p), bool(g), float(score), int(t))
        for i, a, s, p, g, score, t in zip(
            j.item, j.annotator, j.shown, j.probe, j.agree, j.gold_score, j.time_ms, strict=True
        )
    ]
    started = time.perf_counter()
    judgments, people = to_judgments(rows)
    report = measure(judgments, people, flag_threshold=0.5, n_boot=1000)
    seconds = time.perf_counter() - started
    return {
        "judgments": n_judgments,
        "items": plan.n_items,
        "seconds": round(seconds, 3),
        "target_s": TARGET_S,
        "met": seconds < TARGET_S,
        "flagged": sum(a["flagged"] for a in report["annotators"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = suggestion_rows(args.quick)
    for name in OTHER_KINDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        rows.extend(module.run(quick=args.quick))
    timed = timing(20_000 if args.quick else 100_000)
    table = Table(title="Assistance: planted vs measured (95% intervals)")
    for column in ("effect", "judgments", "planted", "measured [interval]", "covered"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["effect"]), str(r.get("judgments", "")), f"{r['planted']:.3f}",
            f"{r['measured']:.3f} [{r['low']:.3f}, {r['high']:.3f}]", str(r.get("covered", "")),
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(
        f"report over {timed['judgments']:,} judgments: {timed['seconds']:.3f} s (target < {TARGET_S} s)"
    )
    if not args.quick:
        RESULTS.parent.mkdir(exist_ok=True)
        out = {
            "at": datetime.now(UTC).isoformat(),
            "machine": {
                "python": platform.python_version(),
                "cpu": platform.processor() or platform.machine(),
            },
            "numpy": np.__version__,
            "rows": rows,
            "timing": timed,
        }
        RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
