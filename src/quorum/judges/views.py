"""The manager's judges page: the attached judges and their agreement with people (server-rendered)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import MANAGE, require_project
from quorum.judges import report, service
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/judges")
def judges_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    views = {v["model"]: v for v in (service.view(db, j) for j in service.judges(db, project))}
    found = report.section(db, project, n_boot=200)
    rows = [{**views.get(j["model"], {}), **j} for j in found["judges"]]
    return render(request, "projects/judges.html", {"project": project, "tab": "judges", "judges": rows})
