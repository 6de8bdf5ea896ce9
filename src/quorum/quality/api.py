"""``GET /api/v1/projects/{ref}/quality``: agreement, annotator reliability and low-confidence items."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from quorum.accounts.access import REVIEW, require_project
from quorum.jobs.service import job_view
from quorum.quality import cache, service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["quality"])


@router.get("/quality")
def quality(
    ref: str,
    request: Request,
    response: Response,
    user: CurrentUser,
    db: DB,
    method: str = "mv",
    bootstrap: int = service.DEFAULT_BOOTSTRAP,
    threshold: float = service.DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The project's quality report (managers and reviewers); ``method`` picks the consensus (mv, ds,
    glad, mace), ``bootstrap`` the number of resamples behind each interval (0 for none). A project with
    ``QUORUM_QUALITY_JOB_MIN_JUDGMENTS`` judgments or more answers from the cache (``cache``: age, whether
    it is current, the refresh job); 202 with the job while its first report is computed."""
    project = require_project(db, user, ref, REVIEW)
    answer = cache.report_for(
        db,
        user,
        project,
        cache.Options(method, bootstrap, threshold),
        min_judgments=request.app.state.settings.quality_job_min_judgments,
    )
    if answer.report is None:
        response.status_code = status.HTTP_202_ACCEPTED
        return {"status": "computing", "job": job_view(answer.job) if answer.job else None}
    cached = answer.cache_view()
    return answer.report if cached is None else {**answer.report, "cache": cached}
