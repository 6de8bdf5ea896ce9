"""The manager's quality page: agreement per question, the annotator table, low-confidence items."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import MANAGE, require_project
from quorum.core.aggregation import METHODS
from quorum.errors import QuorumError
from quorum.quality import service
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/quality")
def quality_page(
    request: Request, ref: str, user: PageUser, db: DB, method: str = "mv", bootstrap: int = 200
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    context = {"project": project, "tab": "quality", "methods": list(METHODS), "method": method}
    try:
        report = service.quality_report(db, project, method=method, n_boot=bootstrap)
    except QuorumError as exc:
        return render(
            request,
            "projects/quality.html",
            {**context, "report": None, "error": exc.message},
            status=exc.status,
        )
    return render(request, "projects/quality.html", {**context, "report": report, "error": None})
