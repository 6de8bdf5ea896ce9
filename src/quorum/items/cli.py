from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import err, fail, handle_errors, settings, unit_of_work
from quorum.generation import service as generation
from quorum.items import importer
from quorum.items import jobs as import_jobs
from quorum.jobs.cli import submit_and_follow


@handle_errors
def import_(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    file: Annotated[Path, typer.Argument(help="A .jsonl, .json (array) or .csv file of item rows.")],
    format: Annotated[
        str | None, typer.Option(help="jsonl, json or csv (default: from the file name).")
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            "--background", help="Run it as a job on a worker (`quorum worker`) and follow it to its end."
        ),
    ] = False,
    owner: Annotated[
        str | None, typer.Option(help="With --background: the job's owner (default: the project's creator).")
    ] = None,
) -> None:
    """Import items. A file with any invalid row is rejected whole, with a report of each bad row."""
    if not file.is_file():
        raise fail(f"no such file: {file}")
    if background:
        submit_and_follow(
            project, owner, True, lambda db, user, found: import_jobs.submit(db, user, found, file, format)
        )
        return
    with unit_of_work() as db:
        found = find_project(db, project)
        report = importer.import_file(
            db, None, found, file, format, max_field_bytes=settings().max_field_bytes
        )
        job = generation.after_import(db, found)
        job_id = job.id if job else None
    err.print(
        f"imported {report.total} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged" + (f"; generation job {job_id}" if job_id else ""),
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
