"""Page: a project's synthetic-prompt batches (estimate, interval, rejections) and their release button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from quorum.accounts.access import MANAGE, require_project
from quorum.core.input_checks import Id
from quorum.synthetic import release, report, service
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/synthetic")
def batches_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    batches = [report.batch_view(db, b) for b in service.list_batches(db, user, project)]
    return render(
        request, "synthetic/list.html", {"project": project, "tab": "synthetic", "batches": batches}
    )


@router.post("/projects/{ref}/synthetic/{batch_id}/release", dependencies=[CSRF])
def release_page(ref: str, batch_id: Id, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    release.release(db, user, service.get_batch(db, user, project, batch_id))
    return RedirectResponse(f"/projects/{project.id}/synthetic#batch-{batch_id}", status_code=303)
