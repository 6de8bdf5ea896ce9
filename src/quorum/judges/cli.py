"""``quorum judge attach|detach|list|run|report``: AI judges of a project, from the shell."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import fail, handle_errors, out, unit_of_work
from quorum.jobs.cli import submit_and_follow

judge = typer.Typer(help="AI judges: models that answer a project's items, kept apart from people.")

Project = Annotated[str, typer.Argument(help="Project id or name.")]
Model = Annotated[str, typer.Option("--model", help="A registered model's name.")]


@judge.command("attach")
@handle_errors
def attach(
    project: Project,
    model: Model,
    params: Annotated[
        str | None, typer.Option(help="Call parameters as JSON, e.g. '{\"top_p\": 1}'.")
    ] = None,
    routing: Annotated[
        bool, typer.Option("--routing/--no-routing", help="Let its verdicts lower or raise overlap targets.")
    ] = False,
    min_confidence: Annotated[
        float, typer.Option(help="Routing: the confidence that lowers a target.")
    ] = 0.8,
    lowered_target: Annotated[
        int, typer.Option(help="Routing: the target of a confidently judged item.")
    ] = 1,
) -> None:
    """Attach a registered model to a project as a judge."""
    extra: dict[str, Any] = {}
    if params is not None:
        try:
            extra = json.loads(params)
        except json.JSONDecodeError as exc:
            raise fail(f"--params is not JSON: {exc}") from None
        if not isinstance(extra, dict):
            raise fail("--params must be a JSON object")
    from quorum.judges import service

    with unit_of_work() as db:
        found = find_project(db, project)
        service.attach(
            db, None, found, model, params=extra, routing_on=routing,
            min_confidence=min_confidence, lowered_target=lowered_target,
        )  # fmt: skip
    out.print(f"{model} judges {project}" + (" (routing)" if routing else ""), markup=False)


@judge.command("detach")
@handle_errors
def detach(project: Project, model: Model) -> None:
    """Detach a judge; its verdicts are deleted."""
    from quorum.judges import service

    with unit_of_work() as db:
        service.detach(db, None, find_project(db, project), model)
    out.print(f"{model} no longer judges {project}", markup=False)


@judge.command("list")
@handle_errors
def list_judges(project: Project, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The project's judges and how many verdicts each has."""
    from quorum.judges import service

    with unit_of_work() as db:
        found = find_project(db, project)
        views = [service.view(db, j) for j in service.judges(db, found)]
    if as_json:
        out.print(json.dumps(views, indent=2), markup=False)
        return
    for v in views:
        routing = "routing" if v["routing"]["on"] else "no routing"
        out.print(f"{v['model']}\t{v['verdicts']} verdicts\t{v['invalid']} invalid\t{routing}", markup=False)


@judge.command("run")
@handle_errors
def run(
    project: Project,
    model: Annotated[str | None, typer.Option("--model", help="Only this judge (default: all).")] = None,
    redo: Annotated[bool, typer.Option("--redo", help="Judge every item again, not only new ones.")] = False,
    owner: Annotated[
        str | None, typer.Option(help="The job's owner (default: the project's creator).")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded.")] = False,
) -> None:
    """Have the project's judges answer its items, as a background ``judge`` job; prints the job id."""
    from quorum.judges import service

    submit_and_follow(
        project, owner, wait, lambda db, who, found: service.submit_run(db, who, found, model, redo=redo)
    )


@judge.command("report")
@handle_errors
def report(project: Project, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each judge's agreement with people, next to people's agreement with each other."""
    from quorum.judges.report import section

    with unit_of_work() as db:
        found = section(db, find_project(db, project))
    if as_json:
        out.print(json.dumps(found, indent=2), markup=False)
        return
    for j in found["judges"]:
        same = j["same_items"]
        out.print(
            f"{j['model']}: {j['verdicts']} verdicts, {j['invalid']} invalid, "
            f"order-consistent {_share(j['order_consistency']['rate'])}",
            markup=False,
        )
        for name, value in (
            ("vs consensus", j["vs_consensus"]),
            ("vs each person", j["vs_humans"]),
            (f"vs each person, {same['items']} items with 2+ people", same["judge_vs_humans"]),
            ("person vs person, same items", same["human_vs_human"]),
        ):
            out.print(f"  {name}: {_agreement(value)}", markup=False)


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _agreement(value: dict[str, Any] | None) -> str:
    if value is None:
        return "no pairs"
    k, p = value["kappa"], value["percent"]

    def fmt(e: dict[str, float | None]) -> str:
        if e["value"] is None:
            return "n/a"
        lo, hi = e["low"], e["high"]
        return f"{e['value']:.3f}" + (f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else "")

    return f"kappa {fmt(k)}, agreement {fmt(p)} ({value['pairs']} pairs, {value['items']} items)"


def register(app: typer.Typer) -> None:
    app.add_typer(judge, name="judge")
