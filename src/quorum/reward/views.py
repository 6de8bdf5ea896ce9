"""The manager's active-learning page: the current reward-model version, its learning curve (active vs
control arm) and the items it prioritised, with why (score, disagreement)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import MANAGE, require_project
from quorum.reward import service, versions
from quorum.reward.chart import curve_chart
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/active")
def active_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    found = service.status(db, project)
    report = found.get("report") or {}
    return render(
        request,
        "reward/active.html",
        {
            "project": project,
            "tab": "active",
            "status": found,
            "versions": service.versions(db, project),
            "chart": curve_chart(report.get("curve") or {}),
            "curve": report.get("curve") or {},
            "by_strength": report.get("by_strength") or {},
            "calibration": report.get("reliability") or [],
            "ece": report.get("ece"),
            "selections": versions.selections(db, project, limit=100),
        },
    )
