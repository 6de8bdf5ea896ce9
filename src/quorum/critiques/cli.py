"""``quorum critique PROJECT --model NAME [--wait]``: ask a critic model for comments on a project's
responses (a background job); ``quorum critique report PROJECT [--json]``: the planted-flaw recall."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from quorum.accounts.access import find_project
from quorum.cli_support import fail, handle_errors, out, unit_of_work
from quorum.critiques import report, service
from quorum.jobs.cli import submit_and_follow

REPORT = "report"


@handle_errors
def critique(
    project: Annotated[str, typer.Argument(help="Project id or name (or 'report', then the project).")],
    report_of: Annotated[
        str | None, typer.Argument(metavar="[PROJECT]", help="With 'report': the project to report on.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="The critic: a registered model's name.")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="The job's owner (default: the project's creator).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded, 1 if not.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Critic comments for a project's responses as a background job (prints the job id), or with
    ``report PROJECT`` the recall of planted flaws with and without them."""
    if project == REPORT and report_of is not None:
        _report(report_of, as_json=as_json)
        return
    if report_of is not None:
        raise fail(f"unexpected argument {report_of!r}; did you mean: quorum critique report {report_of}")
    if model is None:
        raise fail("--model is required: the registered model that writes the critiques")
    submit_and_follow(project, owner, wait, lambda db, who, found: service.submit(db, who, found, model))


def _fmt(estimate: dict[str, object]) -> str:
    value, low, high = estimate.get("value"), estimate.get("low"), estimate.get("high")
    if not isinstance(value, float | int):
        return "—"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _report(project: str, *, as_json: bool) -> None:
    with unit_of_work() as db:
        section = report.section(db, find_project(db, project))
    if as_json:
        out.print(json.dumps(section, indent=2), markup=False)
        return
    table = Table("measure", "estimate [95% interval]", "n")
    with_c, without = section["recall_with_critiques"], section["recall_without_critiques"]
    table.add_row("recall with critiques", _fmt(with_c), str(with_c["flaws"]))
    table.add_row("recall without critiques", _fmt(without), str(without["flaws"]))
    table.add_row("difference", _fmt(section["recall_difference"]), "")
    unmatched = section["kept_comments_unmatched"]
    table.add_row("kept comments matching no flaw", _fmt(unmatched), str(unmatched["n"]))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("critique")(critique)
