"""``quorum rm train|status|score|versions PROJECT`` and ``quorum active set|show PROJECT``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import handle_errors, out, unit_of_work
from quorum.jobs.cli import submit_and_follow
from quorum.reward import service

rm = typer.Typer(help="The project's reward model: train, score, status.", no_args_is_help=True)
active = typer.Typer(
    help="Active learning: which strategy prioritises what humans label next.", no_args_is_help=True
)

Project = Annotated[str, typer.Argument(help="Project id or name.")]
Wait = Annotated[bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded, 1 if not.")]
Owner = Annotated[str | None, typer.Option(help="The job's owner (default: the project's creator).")]


def _run(project: str, owner: str | None, wait: bool, train: bool) -> None:
    submit = service.submit_train if train else service.submit_score
    submit_and_follow(project, owner, wait, submit)


@rm.command("train")
@handle_errors
def train(project: Project, owner: Owner = None, wait: Wait = False) -> None:
    """Train a new reward-model version as a background job; prints the job id."""
    _run(project, owner, wait, train=True)


@rm.command("score")
@handle_errors
def score(project: Project, owner: Owner = None, wait: Wait = False) -> None:
    """Score the open items with the current version and prioritise a batch (a job); prints the job id."""
    _run(project, owner, wait, train=False)


@rm.command("status")
@handle_errors
def status(
    project: Project,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The current version: labels trained on, held-out accuracy and its 95% interval."""
    with unit_of_work() as db:
        found = service.status(db, find_project(db, project))
    if as_json:
        out.print(json.dumps({k: v for k, v in found.items() if k != "report"}), markup=False)
        return
    if found["version"] is None:
        out.print(f"no reward model yet ({found['consensus_labels']} completed items)", markup=False)
        return
    out.print(
        f"version {found['version']}: {found['labels']} labels, held-out accuracy "
        f"{found['accuracy']:.3f} [{found['accuracy_low']:.3f}, {found['accuracy_high']:.3f}]"
        f" on {found['held_out']} labels",
        markup=False,
    )


@rm.command("versions")
@handle_errors
def versions(project: Project) -> None:
    """Every version, newest first, as JSON lines."""
    with unit_of_work() as db:
        rows = service.versions(db, find_project(db, project))
    for row in rows:
        out.print(json.dumps(row), markup=False)


@active.command("set")
@handle_errors
def set_(
    project: Project,
    strategy: Annotated[
        str, typer.Option(help="random, uncertainty, margin, diversity, hybrid or convincing_wrong.")
    ],
    control: Annotated[float, typer.Option(help="Share of each batch chosen at random (0 to 1).")] = 0.2,
    batch: Annotated[int | None, typer.Option(help="Items prioritised per scoring.")] = None,
    retrain_every: Annotated[
        int | None, typer.Option(help="Retrain after this many new consensus labels.")
    ] = None,
    embedding_model: Annotated[str | None, typer.Option(help="A registered embedding model.")] = None,
) -> None:
    """Turn active learning on (or change it) for a project; prints the settings as JSON."""
    values: dict[str, object] = {"strategy": strategy, "control_share": control}
    for name, value in (
        ("batch_size", batch),
        ("retrain_every", retrain_every),
        ("embedding_model", embedding_model),
    ):
        if value is not None:
            values[name] = value
    with unit_of_work() as db:
        result = service.set_settings(db, find_project(db, project), values)
    out.print(json.dumps(result), markup=False)


@active.command("show")
@handle_errors
def show(project: Project) -> None:
    """The project's active-learning settings as JSON."""
    with unit_of_work() as db:
        result = service.get_settings(db, find_project(db, project))
    out.print(json.dumps(result), markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(rm, name="rm")
    app.add_typer(active, name="active")
