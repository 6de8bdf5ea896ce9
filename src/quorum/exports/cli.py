from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quorum.accounts.access import find_project
from quorum.cli_support import err, fail, handle_errors, settings, unit_of_work
from quorum.exports import jobs as export_jobs
from quorum.exports import service
from quorum.exports.service import ExportOptions
from quorum.keys import secret_key


@handle_errors
def export(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    format: Annotated[
        str, typer.Option(help="jsonl (every item with its judgments) or a format of the task type.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file (or, with --hf, the folder) to write.")],
    parquet: Annotated[bool, typer.Option("--parquet", help="Write Parquet instead of JSON lines.")] = False,
    hf: Annotated[
        bool, typer.Option("--hf", help="Write a Hugging Face datasets folder (save_to_disk).")
    ] = False,
    pseudonymize: Annotated[
        bool, typer.Option("--pseudonymize", help="Stable pseudonyms instead of annotator usernames.")
    ] = False,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="Consensus by an annotator model fitted over the project: mv, ds, glad or mace "
            "(default: the task type's own consensus).",
        ),
    ] = None,
) -> None:
    """Export a project's items and judgments (JSON lines by default), streamed to disk."""
    if parquet and hf:
        raise fail("choose --parquet or --hf, not both")
    output = "parquet" if parquet else "hf" if hf else "jsonl"
    options = ExportOptions(pseudonym_salt=secret_key(settings()) if pseudonymize else None, method=method)
    options.check()
    with unit_of_work() as db:
        found = find_project(db, project)
        if output == "jsonl":
            count = service.export_to_file(db, None, found, format, out, output=output, options=options)
        else:
            # The export job's own writer, run here: the file lands at --out, and no worker is needed.
            params = export_jobs.check_params(found, format, output, method) | {"pseudonymize": pseudonymize}
            count = export_jobs.write_output(db, None, found, params, out, settings())
    err.print(f"wrote {count} rows to {out}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
