from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.consensus.service import check_method
from quorum.errors import Invalid, NotFound, field_error
from quorum.exports import jobs as export_jobs
from quorum.exports import service
from quorum.exports.naming import export_filename
from quorum.exports.service import ExportOptions
from quorum.jobs.service import job_view, submit_job
from quorum.keys import secret_key
from quorum.models import Project
from quorum.web.deps import DB, CurrentUser, get_database

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["exports"])


CHUNK = 64 * 1024
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9 ._()+,;=@-]")


def attachment(filename: str) -> str:
    """A download's ``Content-Disposition``: an ASCII ``filename`` for old clients and the exact name as
    RFC 5987 ``filename*``. A project may be named in any script, or hold quotes or a newline; none of it
    may reach the header raw (a header is Latin-1, and a newline would start a new header)."""
    fallback = _UNSAFE_IN_FALLBACK.sub("_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/export")
def export(
    ref: str,
    request: Request,
    user: CurrentUser,
    db: DB,
    format: str = "jsonl",
    output: str = "jsonl",
    pseudonymize: bool = False,
    method: str | None = None,
) -> Response:
    """Stream the export as JSON lines (the response starts before the whole project is read), or send it
    as one Parquet file with ``output=parquet``. ``method`` (mv, ds, glad, mace): consensus by that
    annotator model fitted over the project."""
    project = access(db, user, ref, MANAGE)
    service.check_format(project, format)
    if method == "":
        method = None  # the console's form sends an empty choice for the default
    if method is not None:
        check_method(method, ["query", "method"])
    options = ExportOptions(
        pseudonym_salt=secret_key(request.app.state.settings) if pseudonymize else None, method=method
    )
    if output == "parquet":
        tmp = Path(tempfile.mkdtemp(prefix="quorum-export-"))
        path = tmp / "export.parquet"
        service.export_to_file(db, user, project, format, path, output="parquet", options=options)
        return FileResponse(
            path,
            media_type="application/vnd.apache.parquet",
            headers={
                "Content-Disposition": attachment(export_filename(project.name, format, method, "parquet"))
            },
            background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True),
        )
    if output != "jsonl":
        raise Invalid(
            "output must be jsonl or parquet (use the CLI for a datasets folder)",
            [field_error("output", "unknown output", at="query")],
        )
    database = get_database(request)
    project_id = project.id

    def stream() -> Iterator[bytes]:
        sent = 0
        try:
            # The request's unit of work has ended by now; the stream reads in its own.
            with database.session() as session:
                fresh = session.get(Project, project_id)
                if fresh is None:
                    raise NotFound(f"project {project_id} was deleted before its export started")
                # Lines go out in chunks of about 64 KB: Starlette moves each item of a sync iterator
                # through a worker thread, which cost more than the row itself at one line per item.
                chunk: list[bytes] = []
                size = 0
                for line in service.lines(session, fresh, format, options):
                    chunk.append(line)
                    size += len(line)
                    if size >= CHUNK:
                        sent += len(chunk)
                        yield b"".join(chunk)
                        chunk, size = [], 0
                if chunk:
                    sent += len(chunk)
                    yield b"".join(chunk)
        finally:
            # Its own unit of work: a client that hangs up mid-stream still leaves the event, with the rows
            # it was sent.
            with database.session() as session:
                service.record_export(session, user, project_id, format, "jsonl", sent, "response", options)

    return StreamingResponse(
        stream(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": attachment(export_filename(project.name, format, method, "jsonl"))},
    )


class ExportJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field(max_length=100)
    output: str = Field(max_length=20)
    method: str | None = Field(default=None, max_length=20)


@router.post("/exports", status_code=status.HTTP_202_ACCEPTED)
def export_job(ref: str, body: ExportJobIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Export as a background job (``output``: ``parquet`` or ``hf``, a zipped ``datasets`` folder); the
    finished job's file comes from ``GET /api/v1/jobs/{id}/download``."""
    project = access(db, user, ref, MANAGE)
    params = export_jobs.check_params(project, body.format, body.output, body.method or None)
    return job_view(submit_job(db, export_jobs.KIND, owner=user, project=project, params=params))
