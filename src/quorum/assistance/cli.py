from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from quorum.accounts.access import find_project
from quorum.assistance import service
from quorum.cli_support import handle_errors, out, unit_of_work


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _ci(e: dict[str, Any]) -> str:
    if e.get("value") is None:
        return "-"
    if e.get("low") is None:
        return f"{e['value']:+.3f}"
    return f"{e['value']:+.3f} [{e['low']:+.3f}, {e['high']:+.3f}]"


@handle_errors
def assistance(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """The measured effect of suggestions on a project's labels: acceptance, anchoring, probes."""
    with unit_of_work() as db:
        report = service.report(db, find_project(db, project))
    if as_json:
        out.print_json(json.dumps(report))
        return
    s = report["suggestions"]
    n = s["judgments"]
    out.print(f"judgments: {n['shown']} shown, {n['blind']} blind, {n['probes']} probes", markup=False)
    out.print(f"acceptance rate: {_pct(s['acceptance_rate'])}", markup=False)
    out.print(f"anchoring effect: {_ci(s['anchoring_effect'])}", markup=False)
    out.print(f"anchoring tendency (q): {_ci(s['anchoring_tendency'])}", markup=False)
    gold = s["gold_accuracy"]
    out.print(f"gold accuracy: shown {_ci(gold['shown'])}, blind {_ci(gold['blind'])}", markup=False)
    t = s["time_per_item_ms"]
    out.print(f"median time per item (ms): shown {t['shown']}, blind {t['blind']}", markup=False)
    for a in s["annotators"]:
        flag = "  FLAGGED" if a["flagged"] else ""
        out.print(
            f"  {a['username']}: probes {a['probe_accepted']}/{a['probe_shown']} accepted, "
            f"{a['fast_accepts']} fast accepts{flag}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    app.command("assistance")(assistance)
