from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from quorum.accounts.access import VIEW, require_project
from quorum.core.input_checks import Id
from quorum.errors import Conflict
from quorum.exports.api import attachment
from quorum.jobs import service
from quorum.jobs.queue import job_blobs
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs")
def list_jobs(
    user: CurrentUser, db: DB, project: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Jobs the caller may see (their own, their managed projects', all for an admin), newest first."""
    found = require_project(db, user, project, VIEW) if project is not None else None
    return [service.job_view(j) for j in service.list_jobs(db, user, project=found, status=status)]


@router.get("/jobs/{job_id}")
def show_job(job_id: Id, user: CurrentUser, db: DB) -> dict[str, Any]:
    return service.job_view(service.get_job(db, user, job_id))


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: Id, user: CurrentUser, db: DB) -> dict[str, Any]:
    """A job not started ends at once; a running one stops at its next batch."""
    return service.job_view(service.cancel_job(db, user, job_id))


@router.get("/jobs/{job_id}/download")
def download(job_id: Id, request: Request, user: CurrentUser, db: DB) -> FileResponse:
    """The file a finished job left (an export); 409 until it has succeeded."""
    job = service.get_job(db, user, job_id)
    result = job.result or {}
    if job.status != "succeeded" or "blob" not in result:
        raise Conflict(f"job {job.id} has no file to download ({job.status})")
    path = job_blobs(request.app.state.settings).path(result["blob"])
    return FileResponse(
        path,
        media_type=result.get("content_type", "application/octet-stream"),
        headers={"Content-Disposition": attachment(result.get("filename", f"job-{job.id}"))},
    )
