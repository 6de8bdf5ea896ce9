from __future__ import annotations

from typing import Annotated

import typer

from quorum.cli_support import fail, handle_errors
from quorum.jobs.cli import submit_and_follow
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
    submit_and_follow(project, owner, wait, lambda db, who, found: service.submit(db, who, found, request))


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest)
