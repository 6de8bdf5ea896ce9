"""``GET /api/v1/projects/{ref}/quality``: agreement, annotator reliability and low-confidence items."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from quorum.accounts.access import REVIEW, require_project
from quorum.quality import service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["quality"])


@router.get("/quality")
def quality(
    ref: str,
    user: CurrentUser,
    db: DB,
    method: str = "mv",
    bootstrap: int = service.DEFAULT_BOOTSTRAP,
    threshold: float = service.DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The project's quality report (managers and reviewers); ``method`` picks the consensus (mv, ds,
    glad, mace), ``bootstrap`` the number of resamples behind each interval (0 for none)."""
    project = require_project(db, user, ref, REVIEW)
    report = service.quality_report(db, project, method=method, n_boot=bootstrap, threshold=threshold)
    return report.to_dict()
