"""Page: a project's background jobs; ``static/jobs.js`` refreshes the running ones from the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import VIEW, require_project, role_name
from quorum.jobs import service
from quorum.jobs.runner import FINISHED
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/jobs")
def jobs_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, VIEW)
    jobs = service.list_jobs(db, user, project=project)
    return render(
        request,
        "jobs/list.html",
        {
            "project": project,
            "tab": "jobs",
            "role": role_name(db, user, project),
            "jobs": jobs,
            "views": {job.id: service.job_view(job) for job in jobs},
            "finished": FINISHED,
        },
    )
