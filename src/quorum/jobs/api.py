from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE, VIEW, require_project
from quorum.core.input_checks import Id
from quorum.errors import Conflict
from quorum.exports.api import attachment
from quorum.jobs import registry, service
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


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=64)
    project: str = Field(max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED)
def submit_job(body: JobIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Submit a job of a kind that accepts requests (``export``, ``consensus_refit``, ``quality_report``) for
    a project the caller manages; the kind checks ``params``. A kind that keeps one pending job per project
    answers with the pending one."""
    registry.submittable(body.kind)  # an unknown kind is a 422 naming ``kind``, whatever the project
    project = require_project(db, user, body.project, MANAGE)
    return service.job_view(service.request_job(db, user, body.kind, project, body.params))


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
