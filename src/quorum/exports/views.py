"""The console's export form: JSON lines download at once; Parquet and a ``datasets`` folder run as jobs."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from quorum.accounts.access import MANAGE, require_project
from quorum.consensus.service import check_method
from quorum.errors import Invalid, field_error
from quorum.exports import jobs as export_jobs
from quorum.exports import service
from quorum.jobs.service import submit_job
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF

router = APIRouter(include_in_schema=False)
OUTPUTS = ("jsonl", *export_jobs.JOB_OUTPUTS)


@router.post("/projects/{ref}/exports", dependencies=[CSRF])
def export_from_console(
    ref: str,
    user: PageUser,
    db: DB,
    format: Annotated[str, Form()] = "jsonl",
    output: Annotated[str, Form()] = "jsonl",
    method: Annotated[str, Form()] = "",
) -> Response:
    """Every choice is checked here, so a bad one is a 422 naming the field, not a failed job."""
    project = require_project(db, user, ref, MANAGE)
    service.check_format(project, format)
    if method:
        check_method(method, ["form", "method"])
    if output not in OUTPUTS:
        raise Invalid(
            f"output must be one of {', '.join(OUTPUTS)}",
            [field_error("output", "unknown output", at="form")],
        )
    if output == "jsonl":
        # Streamed by the API route, which the session cookie already authorises.
        query = urlencode({"format": format, **({"method": method} if method else {})})
        return RedirectResponse(f"/api/v1/projects/{project.id}/export?{query}", status_code=303)
    params = export_jobs.check_params(project, format, output, method or None)
    job = submit_job(db, export_jobs.KIND, owner=user, project=project, params=params)
    return RedirectResponse(f"/projects/{project.id}/jobs?job={job.id}", status_code=303)
