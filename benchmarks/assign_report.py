"""The tables ``assign.py`` prints from its results."""

from __future__ import annotations

from typing import Any

from assign_sql import OVERLAP
from rich.table import Table

LATENCIES = ("next_p50_ms", "next_p95_ms", "next_p99_ms", "submit_p50_ms", "submit_p95_ms", "submit_p99_ms")
LATENCY_COLUMNS = ("next p50", "p95", "p99", "submit p50", "p95", "p99")


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def _latencies(row: dict[str, Any]) -> list[str]:
    return [f"{row[k]:.1f}" for k in LATENCIES]


def _errors(row: dict[str, Any]) -> str:
    return str(sum(row["errors"].values()))


def tables(results: dict[str, Any], items: int, think: float) -> list[Table]:
    """ "of both" is the issue's measure: claims/s x (1/no-op HTTP + 1/bare SQL), target 0.6."""
    loops = _table(
        f"next -> submit over HTTP, {items:,} items, overlap {OVERLAP}, PostgreSQL",
        (
            "clients",
            "claims/s",
            "bare SQL/s",
            "of SQL",
            "no-op HTTP/s",
            "of both",
            *LATENCY_COLUMNS,
            "errors",
        ),
    )
    for level, h in results["http"].items():
        s, floor = results["sql"][level], results["floor"][level]
        fraction = h["fraction_of_sql"]
        loops.add_row(
            level,
            f"{h['claims_per_s']:.0f}",
            f"{s['claims_per_s']:.0f}",
            f"{fraction:.2f}" if fraction is not None else "-",
            f"{floor['claims_per_s']:.0f}",
            f"{h['fraction_of_floor']:.2f}" if h.get("fraction_of_floor") is not None else "-",
            *_latencies(h),
            _errors(h),
        )
    floor_table = _table(
        "the floor: GET /healthz twice per loop, same server, client and cores",
        ("clients", "pairs/s", "request p50", "p95", "p99"),
    )
    for level, f in results["floor"].items():
        floor_table.add_row(level, f"{f['claims_per_s']:.0f}", *_latencies(f)[:3])
    found = [loops, floor_table]
    if results["paced"]:
        paced = _table(
            f"annotators reading {think:g} s (+-50%) per item between next and the next next",
            ("clients", "claims/s", *LATENCY_COLUMNS, "errors"),
        )
        for level, h in results["paced"].items():
            paced.add_row(level, f"{h['claims_per_s']:.0f}", *_latencies(h), _errors(h))
        found.append(paced)
    scale = _table(
        "next latency by project size (10k open items in each)",
        ("items", "complete", "clients", "next p50", "p95", "p99", "claims/s", "SQL claim p50", "p99"),
    )
    for r in results["scale"].values():
        for n_clients, row in ((1, r), (32, r["at_32"])):
            sql = r["sql_claim"]
            scale.add_row(
                f"{r['items']:,}",
                f"{r['items'] - r['open']:,}",
                str(n_clients),
                *_latencies(row)[:3],
                f"{row['claims_per_s']:.0f}",
                *((f"{sql['p50_ms']:.2f}", f"{sql['p99_ms']:.2f}") if n_clients == 1 else ("", "")),
            )
    found.append(scale)
    return found
