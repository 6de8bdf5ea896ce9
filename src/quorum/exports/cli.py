from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import err, handle_errors, unit_of_work
from quorum.exports import service


@handle_errors
def export(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    format: Annotated[
        str, typer.Option(help="jsonl (every item with its judgments) or a format of the task type.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write (JSON lines).")],
) -> None:
    """Export a project's items and judgments, streamed to a file."""
    with unit_of_work() as db:
        count = service.export_to_file(db, None, find_project(db, project), format, out)
    err.print(f"wrote {count} rows to {out}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
