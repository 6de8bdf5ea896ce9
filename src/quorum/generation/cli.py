from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts.access import find_project
from quorum.cli_support import database, fail, handle_errors, out, settings
from quorum.generation import service
from quorum.generation.spec import parse_request
from quorum.jobs.cli import follow
from quorum.jobs.queue import build_queue
from quorum.models import Project, User


def _owner(db: Session, project: Project, username: str | None) -> User:
    """The job's owner: ``--owner``, else whoever created the project, else the first active admin."""
    if username is not None:
        found = db.scalar(select(User).where(User.username == username))
        if found is None:
            raise fail(f"no user {username!r}")
        return found
    creator = db.get(User, project.created_by_id) if project.created_by_id is not None else None
    if creator is not None:
        return creator
    admin = db.scalar(select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id))
    if admin is None:
        raise fail("the job needs an owner: pass --owner USERNAME")
    return admin


@handle_errors
def generate(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    model: Annotated[
        list[str], typer.Option("--model", help="A registered model's name; repeat for several.")
    ],
    samples: Annotated[int, typer.Option(help="Samples per model and item.")] = 1,
    pairing: Annotated[
        str | None, typer.Option(help="all_pairs, random_pairs or model_vs_model (pairwise); kset (ranking).")
    ] = None,
    items: Annotated[str, typer.Option(help="awaiting (items without candidates) or all.")] = "awaiting",
    params: Annotated[
        str | None, typer.Option(help="Shared sampling params as JSON, e.g. '{\"temperature\": 0.7}'.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed; sample i is sent seed + i.")] = 0,
    owner: Annotated[
        str | None, typer.Option(help="The job's owner (default: the project's creator).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded, 1 if not.")
    ] = False,
) -> None:
    """Generate candidates for a project's items as a background job; prints the job id."""
    request: dict[str, Any] = {"models": model, "samples": samples, "items": items, "seed": seed}
    if pairing is not None:
        request["pairing"] = pairing
    if params is not None:
        try:
            request["params"] = json.loads(params)
        except json.JSONDecodeError as exc:
            raise fail(f"--params is not JSON: {exc}") from None
    parsed = parse_request(request)
    db_handle = database()
    try:
        build_queue(settings(), db_handle)
        with db_handle.session() as db:
            found = find_project(db, project)
            job_id = service.submit(db, _owner(db, found, owner), found, parsed).id
    finally:
        db_handle.dispose()
    out.print(str(job_id), markup=False)
    if wait:
        follow(job_id)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
