"""The manager's quality page: agreement per question and over time, the annotator table with confusion
matrices, pairs of annotators, models, low-confidence items."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import MANAGE, require_project
from quorum.assistance import page as assistance_page
from quorum.core.aggregation import METHODS
from quorum.errors import QuorumError
from quorum.jobs.runner import FINISHED
from quorum.quality import cache
from quorum.quality.details import AgreementTrend
from quorum.web.charts import IntervalChart, interval_chart
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/quality")
def quality_page(
    request: Request, ref: str, user: PageUser, db: DB, method: str = "mv", bootstrap: int = 200
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    context = {
        "project": project,
        "tab": "quality",
        "methods": list(METHODS),
        "method": method,
        # Where the project runs suggestions: their measured effect and the annotators flagged by probes.
        "assistance": assistance_page.section(db, project),
    }
    try:
        answer = cache.report_for(
            db,
            user,
            project,
            cache.Options(method, bootstrap),
            min_judgments=request.app.state.settings.quality_job_min_judgments,
        )
    except QuorumError as exc:
        return render(
            request,
            "projects/quality.html",
            {**context, "report": None, "error": exc.message},
            status=exc.status,
        )
    report = as_page(answer.report) if answer.report is not None else None
    return render(
        request,
        "projects/quality.html",
        {
            **context,
            "report": report,
            "error": None,
            "trend_chart": trend_chart(report.trend) if report is not None else None,
            "cache": answer.cache_view(),
            "job": answer.job,
            "finished": FINISHED,
        },
    )


def as_page(report: dict[str, Any]) -> Any:
    """The report as the template reads it (attributes, datetimes), whether computed now or cached."""

    def wrap(value: Any) -> Any:
        if isinstance(value, dict):
            fields = {k: wrap(v) for k, v in value.items()}
            if isinstance(fields.get("start"), str):
                fields["start"] = datetime.fromisoformat(fields["start"])
            return SimpleNamespace(**fields)
        if isinstance(value, list):
            return [wrap(v) for v in value]
        return value

    return wrap(report)


def trend_chart(trend: AgreementTrend | Any | None) -> IntervalChart | None:
    """Alpha per bucket, sparse buckets drawn hollow."""
    if trend is None:
        return None
    return interval_chart(
        [
            (
                p.start,
                p.alpha.value,
                p.alpha.ci_low,
                p.alpha.ci_high,
                p.sparse,
                f"{p.start:%Y-%m-%d %H:%M}: alpha {p.alpha.value:.2f}, {p.n_items_pairable} items with 2+ answers"
                if p.alpha.value is not None
                else "",
            )
            for p in trend.points
        ]
    )
