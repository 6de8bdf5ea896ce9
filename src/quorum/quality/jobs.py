"""The ``quality_report`` job: compute a big project's quality report and cache it (``quality/cache.py``)."""

from __future__ import annotations

from typing import Any

from quorum.errors import Invalid, NotFound, field_error
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project
from quorum.quality import cache

KIND = cache.KIND


def options_of(params: dict[str, Any]) -> cache.Options:
    defaults = cache.Options()
    method = params.get("method", defaults.method)
    bootstrap = params.get("bootstrap", defaults.bootstrap)
    threshold = params.get("threshold", defaults.threshold)
    unknown = sorted(set(params) - {"method", "bootstrap", "threshold"})
    if unknown:
        raise Invalid(
            f"unknown params: {', '.join(unknown)}", [field_error("params", "unknown key", at="body")]
        )
    if (
        not isinstance(method, str)
        or isinstance(bootstrap, bool)
        or not isinstance(bootstrap, int)
        or isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
    ):
        raise Invalid(
            "params: method is text, bootstrap an integer, threshold a number",
            [field_error("params", "wrong type", at="body")],
        )
    options = cache.Options(method, bootstrap, float(threshold))
    options.check()
    return options


def check_request(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    return options_of(params).params()


def dedupe_key(project: Project, params: dict[str, Any]) -> str:
    return cache.refresh_key(project, options_of(params))


def summary(result: dict[str, Any]) -> str:
    return (
        f"report over {result.get('n_judgments', 0)} judgments "
        f"({result.get('method')}, {result.get('bootstrap')} resamples)"
    )


@register(KIND, check=check_request, key=dedupe_key, label="Quality report", summary=summary)
def run_quality_report(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    ctx.progress(0, 1)
    # Idempotent: a rerun computes the report again and overwrites the one cached row for these options.
    options = options_of(job.params)
    row = cache.compute_and_store(ctx.db, project, options, job_id=job.id)
    ctx.progress(1, 1)
    return {
        "options": row.options,
        "method": options.method,
        "bootstrap": options.bootstrap,
        "data_version": row.data_version,
        "n_judgments": row.report.get("n_judgments"),
        "n_annotators": row.report.get("n_annotators"),
    }
