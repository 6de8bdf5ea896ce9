"""The export job: Parquet or a zipped ``datasets`` folder, written by a worker into the blob store."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from quorum.config import Settings
from quorum.errors import Invalid, NotFound, field_error
from quorum.exports import service
from quorum.exports.naming import export_filename
from quorum.exports.service import ExportOptions
from quorum.jobs.registry import JobContext, register
from quorum.keys import secret_key
from quorum.models import Job, Project, User

KIND = "export"
JOB_OUTPUTS = {"parquet": ("parquet", "application/vnd.apache.parquet"), "hf": ("zip", "application/zip")}
CHUNK = 1024 * 1024


def check_params(project: Project, fmt: str, output: str, method: str | None) -> dict[str, Any]:
    """The job's params, checked before the job exists: a bad request is a 422, never a failed job."""
    service.check_format(project, fmt)
    if output not in JOB_OUTPUTS:
        raise Invalid(
            f"output must be one of {', '.join(JOB_OUTPUTS)}",
            [field_error("output", "unknown output", at="body")],
        )
    ExportOptions(method=method).check()
    return {"format": fmt, "output": output, "method": method}


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def check_request(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/jobs`` params: ``format``, ``output`` and optional ``method``, as ``POST …/exports``."""
    fmt, output, method = params.get("format"), params.get("output"), params.get("method")
    if not isinstance(fmt, str) or not isinstance(output, str) or not isinstance(method, str | None):
        raise Invalid(
            "params needs format and output as text (and optionally method)",
            [field_error("params", "format and output are required text", at="body")],
        )
    return check_params(project, fmt, output, method or None)


def write_output(
    db: Session,
    actor: User | None,
    project: Project,
    params: dict[str, Any],
    target: Path,
    settings: Settings,
) -> int:
    """The heavy writer of an export job: Parquet into a file or a ``datasets`` folder at ``target``. The
    job runs it into a temporary folder and stores the result; ``quorum export --parquet/--hf`` runs it
    in-process onto the path it was given (a script's file, with no worker needed)."""
    salt = secret_key(settings) if params.get("pseudonymize") else None
    return service.export_to_file(
        db,
        actor,
        project,
        params["format"],
        target,
        output=params["output"],
        options=ExportOptions(method=params.get("method"), pseudonym_salt=salt),
    )


def summary(result: dict[str, Any]) -> str:
    return f"{result.get('rows', 0)} rows, {result.get('size', 0)} bytes"


@register(KIND, check=check_request, label="Export (Parquet / datasets)", summary=summary)
def run_export(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    owner = ctx.db.get(User, job.owner_id)
    if project is None or owner is None:
        raise NotFound(f"the project or owner of job {job.id} is gone")
    fmt, output = job.params["format"], job.params["output"]
    content_type = JOB_OUTPUTS[output][1]
    with tempfile.TemporaryDirectory(prefix="quorum-export-job-") as tmp:
        target = Path(tmp) / "export"
        count = write_output(ctx.db, owner, project, job.params, target, ctx.settings)
        if output == "hf":
            # A folder travels as one file: the zip of what ``datasets.load_from_disk`` reads.
            target = Path(shutil.make_archive(str(Path(tmp) / "dataset"), "zip", root_dir=target))
        key, _, size = ctx.blobs.put(_chunks(target), content_type=content_type)
    ctx.progress(count, count)
    return {
        "blob": key,
        "rows": count,
        "size": size,
        "content_type": content_type,
        "filename": export_filename(project.name, fmt, job.params.get("method"), output),
    }
