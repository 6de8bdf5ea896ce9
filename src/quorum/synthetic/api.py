"""Synthetic prompts over HTTP: start a batch (a job), list and read batches, their prompts, release."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, status

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.core.input_checks import Id
from quorum.errors import Invalid, field_error
from quorum.jobs.service import job_view
from quorum.synthetic import release, report, service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}/synthetic", tags=["synthetic"])
PROMPT_STATUSES = ("candidate", "rejected", "survivor", "released")


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start(
    ref: str, request: Request, user: CurrentUser, db: DB, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Start a batch: the request is checked (a 422 naming the field, and no job) before the job exists."""
    project = access(db, user, ref, MANAGE)
    batch, job = service.start(db, user, project, body, default_bar=request.app.state.settings.synthetic_bar)
    return {"batch": report.batch_view(db, batch), "job": job_view(job)}


@router.get("")
def list_batches(ref: str, user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    project = access(db, user, ref, MANAGE)
    return [report.batch_view(db, b) for b in service.list_batches(db, user, project)]


@router.get("/{batch_id}")
def show(ref: str, batch_id: Id, user: CurrentUser, db: DB) -> dict[str, Any]:
    project = access(db, user, ref, MANAGE)
    return report.batch_view(db, service.get_batch(db, user, project, batch_id))


@router.get("/{batch_id}/prompts")
def prompts(
    ref: str, batch_id: Id, user: CurrentUser, db: DB, status: str | None = None
) -> list[dict[str, Any]]:
    """The batch's prompts with their provenance and dedup verdicts (at most 500; ``status`` filters)."""
    project = access(db, user, ref, MANAGE)
    if status is not None and status not in PROMPT_STATUSES:
        raise Invalid(
            f"no prompt status {status!r}",
            [field_error("status", f"one of {', '.join(PROMPT_STATUSES)}", at="query")],
        )
    return report.prompt_views(db, service.get_batch(db, user, project, batch_id), status)


@router.post("/{batch_id}/release")
def release_batch(ref: str, batch_id: Id, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Apply the release rule: released into the project, or held (``decision.released`` says which)."""
    project = access(db, user, ref, MANAGE)
    batch = service.get_batch(db, user, project, batch_id)
    decision = release.release(db, user, batch)
    return {"decision": decision, "batch": report.batch_view(db, batch)}
