"""``quorum synthesize`` starts a batch; ``quorum synthetic list|show|release`` follow and release it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from quorum.accounts.access import find_project
from quorum.accounts.service import get_user
from quorum.cli_support import database, fail, handle_errors, out, settings, unit_of_work
from quorum.errors import Invalid, field_error
from quorum.jobs import cli as jobs_cli
from quorum.jobs.queue import build_queue
from quorum.models import Project, User
from quorum.synthetic import release, report, service

synthetic = typer.Typer(help="Synthetic-prompt batches: list, show, release.", no_args_is_help=True)


def read_seeds(path: Path) -> list[str]:
    """Seed prompts from a JSON-lines file: each line a string, or an object with ``prompt`` or ``text``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise fail(f"cannot read seeds file {path}: {exc.strerror}") from None
    seeds = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise fail(f"seeds file {path}, line {number}: not JSON ({exc.msg})") from None
        text = (
            row
            if isinstance(row, str)
            else row.get("prompt") or row.get("text")
            if isinstance(row, dict)
            else None
        )
        if not isinstance(text, str):
            raise Invalid(
                f"seeds file {path}, line {number}: no prompt",
                [field_error(f"seeds.{number}", "a string, or an object with 'prompt' or 'text'")],
            )
        seeds.append(text)
    return seeds


def _owner(db: Any, project: Project, name: str | None) -> User:
    if name is not None:
        return get_user(db, name)
    if project.created_by_id is None:
        raise Invalid("the project has no creator to own the batch", [field_error("owner", "give --owner")])
    return get_user(db, project.created_by_id)


@handle_errors
def synthesize(
    project: Annotated[str, typer.Argument(help="The target project (id or name).")],
    model: Annotated[str, typer.Option(help="The registered chat model that generates.")],
    method: Annotated[str, typer.Option(help="self_instruct or evol.")] = "self_instruct",
    count: Annotated[int, typer.Option(help="How many prompts to generate.")] = 20,
    depth: Annotated[int, typer.Option(help="Evol: evolution depth (rewrites per seed chain).")] = 1,
    seeds: Annotated[
        Path | None, typer.Option(help="JSON-lines file of seed prompts (default: the project's items).")
    ] = None,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            help="Registered embedding model for semantic dedup (default: the built-in local MiniLM)."
        ),
    ] = None,
    no_semantic: Annotated[
        bool, typer.Option("--no-semantic", help="Skip the semantic (embedding) dedup stage.")
    ] = False,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    bar: Annotated[
        float | None, typer.Option(help="Valid share needed to release (default QUORUM_SYNTHETIC_BAR).")
    ] = None,
    min_reviewed: Annotated[int, typer.Option(help="Reviews needed before the rule decides.")] = 30,
    owner: Annotated[
        str | None, typer.Option(help="User who owns the batch (default: the project's creator).")
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="Show progress; exit 0 when the job succeeded, 1 when it failed.")
    ] = False,
) -> None:
    """Generate synthetic prompts for PROJECT as a job; prints the batch and job ids."""
    raw: dict[str, Any] = {
        "model": model,
        "method": method,
        "count": count,
        "depth": depth,
        "params": {"temperature": temperature},
        "min_reviewed": min_reviewed,
    }
    if seeds is not None:
        raw["seeds"] = read_seeds(seeds)
    if no_semantic:
        raw["embedding_model"] = None
    elif embedding_model is not None:
        raw["embedding_model"] = embedding_model
    if bar is not None:
        raw["bar"] = bar
    config = settings()
    handle = database()
    build_queue(config, handle)
    try:
        with handle.session() as db:
            target = find_project(db, project)
            batch, job = service.start(
                db, _owner(db, target, owner), target, raw, default_bar=config.synthetic_bar
            )
            batch_id, job_id = batch.id, job.id
    finally:
        handle.dispose()
    out.print(f"batch {batch_id}\tjob {job_id}", markup=False)
    if wait:
        jobs_cli.wait(job_id)


@synthetic.command("list")
@handle_errors
def list_batches(project: Annotated[str, typer.Argument(help="The target project (id or name).")]) -> None:
    """Batches, newest first: id, status, method, model, estimate [interval]."""
    with unit_of_work() as db:
        for batch in service.list_batches(db, jobs_cli._admin(), find_project(db, project)):
            view = report.batch_view(db, batch)
            est = view.get("estimate") or {}
            shown = (
                f"{est['share']:.3f} [{est['low']:.3f}, {est['high']:.3f}]"
                if est.get("share") is not None
                else "-"
            )
            out.print(
                f"{batch.id}\t{batch.status}\t{batch.method}\t{batch.model_name}\t{shown}", markup=False
            )


@synthetic.command("show")
@handle_errors
def show(
    project: Annotated[str, typer.Argument(help="The target project (id or name).")],
    batch_id: Annotated[int, typer.Argument(help="The batch's id.")],
) -> None:
    """One batch as JSON: counts, rejections by reason, the estimate and its interval."""
    with unit_of_work() as db:
        target = find_project(db, project)
        out.print_json(data=report.batch_view(db, service.get_batch(db, jobs_cli._admin(), target, batch_id)))


@synthetic.command("release")
@handle_errors
def release_batch(
    project: Annotated[str, typer.Argument(help="The target project (id or name).")],
    batch_id: Annotated[int, typer.Argument(help="The batch's id.")],
) -> None:
    """Apply the release rule; exit 0 when released, 1 when held."""
    with unit_of_work() as db:
        target = find_project(db, project)
        decision = release.release(db, None, service.get_batch(db, jobs_cli._admin(), target, batch_id))
    out.print(
        f"batch {batch_id}: {'released' if decision['released'] else 'held'}: {decision['why']}", markup=False
    )
    if not decision["released"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("synthesize")(synthesize)
    app.add_typer(synthetic, name="synthetic")
