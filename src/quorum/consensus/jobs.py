"""The ``consensus_refit`` job: fit a project's annotator model and store it for every process's submit."""

from __future__ import annotations

from typing import Any

from quorum.audit import record
from quorum.consensus import online
from quorum.errors import Invalid, NotFound, field_error
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project

KIND = online.KIND


def check_request(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    if params:
        raise Invalid(
            "a consensus_refit job takes no params", [field_error("params", "must be empty", at="body")]
        )
    return {}


def dedupe_key(project: Project, params: dict[str, Any]) -> str:
    return online.refit_key(project)


def summary(result: dict[str, Any]) -> str:
    if not result.get("model"):
        return f"too little data for a model ({result.get('n_judgments', 0)} judgments)"
    return f"fit {result.get('version')} over {result.get('n_judgments', 0)} judgments"


@register(KIND, check=check_request, key=dedupe_key, label="Annotator model refit", summary=summary)
def run_refit(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    # Idempotent: a rerun fits again over the same or newer judgments and writes one version more.
    row = online.refit(ctx.db, project)
    record(
        ctx.db,
        None,
        "consensus.refit",
        "project",
        project.id,
        project_id=project.id,
        data={"version": row.version, "n_judgments": row.n_judgments, "job": job.id},
    )
    ctx.progress(row.n_judgments, row.n_judgments)
    return {
        "version": row.version,
        "n_judgments": row.n_judgments,
        "last_judgment_id": row.last_judgment_id,
        "model": row.model is not None,
    }
