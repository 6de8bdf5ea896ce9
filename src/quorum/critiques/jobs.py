"""The ``critique`` job: thin; the work is ``critiques/run.py``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from quorum.critiques import run
from quorum.errors import NotFound
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, ModelEndpoint, Project
from quorum.providers.batch import batched
from quorum.providers.service import Target

KIND = "critique"


def _summary(result: dict[str, Any]) -> str:
    return (
        f"{result.get('critiqued', 0)} responses critiqued, {result.get('comments', 0)} comments "
        f"({result.get('dropped', 0)} dropped as invalid)"
    )


@register(KIND, label="AI critiques", summary=_summary)
def run_critique(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    params, job_id = dict(job.params), job.id
    endpoint = ctx.db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == params["model"]))
    if endpoint is None:
        raise NotFound(f"model {params['model']!r} is no longer registered")
    target = Target.of(endpoint)
    ids = run.item_ids(ctx.db, project)
    tally = run.Tally()
    ctx.progress(0, len(ids))
    done = 0
    for batch in batched(ids, run.CALLS_PER_BATCH):
        ctx.check_cancelled()
        run.run_batch(
            ctx.db, project, job_id, batch, target, dict(params.get("params") or {}), tally,
            allow_link_local=ctx.settings.allow_link_local_models, end_reads=ctx.db.commit,
        )  # fmt: skip
        done += len(batch)
        ctx.progress(done, len(ids))
        if tally.failed and not tally.critiqued and not tally.skipped:
            raise run.all_failed(tally)
    return tally.as_dict()
