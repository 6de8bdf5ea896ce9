"""The import job: an uploaded item file, kept in the job blob store, validated and written by a worker.

The request that submits it has checked the caller's right and the file's format; the job then does what
the synchronous import does (``importer.import_file``) in the worker's one unit of work, so it is still
all-or-nothing: a bad row raises ``Invalid`` before anything commits, and the job fails with the same
``{row, field, msg}`` list in its result (``jobs.runner``). The stored file is removed once the job has
ended either way; a worker that dies mid-file leaves it for the re-delivery.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.blobs.store import BlobStore
from quorum.errors import NotFound, QuorumError
from quorum.generation import service as generation
from quorum.items import importer
from quorum.items.readers import detect_format
from quorum.jobs.registry import JobContext, blob_store, register
from quorum.jobs.runner import DOING, TODO
from quorum.jobs.service import submit_job
from quorum.models import Job, Project, User

KIND = "import"
CONTENT_TYPE = "application/octet-stream"
CHUNK = 1024 * 1024


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def submit(db: Session, user: User, project: Project, path: Path, fmt: str | None) -> Job:
    """Keep the file at ``path`` for a worker and submit its import job (sent once ``db`` commits). The
    format is settled here, so a file whose format cannot be told is a 422 rather than a failed job."""
    file_format = detect_format(path, fmt)
    key, _, size = blob_store(db).put(_chunks(path), content_type=CONTENT_TYPE)
    params = {"blob": key, "format": file_format, "bytes": size}
    return submit_job(db, KIND, owner=user, project=project, params=params)


def summary(result: dict[str, Any]) -> str:
    return (
        f"{result.get('total', 0)} rows: {result.get('created', 0)} new, {result.get('updated', 0)} "
        f"updated, {result.get('unchanged', 0)} unchanged"
    )


@register(KIND, label="Item import", summary=summary)
def run_import(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    owner = ctx.db.get(User, job.owner_id)
    if project is None or owner is None:
        raise NotFound(f"the project or owner of job {job.id} is gone")
    key = job.params["blob"]
    try:
        report = importer.import_file(
            ctx.db,
            owner,
            project,
            ctx.blobs.path(key),
            job.params["format"],
            max_field_bytes=ctx.settings.max_field_bytes,
        )
    except QuorumError:
        _forget(ctx.db, ctx.blobs, job, key)
        raise
    generated = generation.after_import(ctx.db, project)
    _forget(ctx.db, ctx.blobs, job, key)
    # Only now: ``progress`` commits, and the import is one unit of work.
    ctx.progress(report.total, report.total)
    return {**report.as_dict(), "generation_job_id": generated.id if generated else None}


def _forget(db: Session, blobs: BlobStore, job: Job, key: str) -> None:
    """Remove the uploaded file unless another pending import was given the same bytes (blobs are
    content-addressed, so the two share one file)."""
    pending = select(Job.params).where(Job.kind == KIND, Job.status.in_((TODO, DOING)), Job.id != job.id)
    others = db.scalars(pending)
    if not any(isinstance(p, dict) and p.get("blob") == key for p in others):
        blobs.delete(key)
