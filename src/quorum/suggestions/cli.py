from __future__ import annotations

from typing import Annotated

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import database, fail, handle_errors, out, settings
from quorum.generation.cli import _owner
from quorum.jobs.cli import follow
from quorum.jobs.queue import build_queue
from quorum.suggestions import service


@handle_errors
def suggest(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    model: Annotated[
        str,
        typer.Option("--model", help="A registered model's name, or 'learned' for the project's classifier."),
    ],
    items: Annotated[str, typer.Option(help="new (items with no suggestion yet) or all.")] = "new",
    embedding_model: Annotated[
        str | None, typer.Option(help="learned: a registered embedding model (default: local MiniLM).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="The job's owner (default: the project's creator).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded, 1 if not.")
    ] = False,
) -> None:
    """Suggest answers (pre-labels) for a project's items as a background job; prints the job id."""
    if items not in ("new", "all"):
        raise fail("--items is 'new' or 'all'")
    request = service.Request(model=model, items=items, embedding_model=embedding_model)
    db_handle = database()
    try:
        build_queue(settings(), db_handle)
        with db_handle.session() as db:
            found = find_project(db, project)
            job_id = service.submit(db, _owner(db, found, owner), found, request).id
    finally:
        db_handle.dispose()
    out.print(str(job_id), markup=False)
    if wait:
        follow(job_id)


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest)
