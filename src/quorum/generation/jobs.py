"""The ``generate`` job: thin; the work is ``generation/run.py``."""

from __future__ import annotations

from typing import Any

from quorum.errors import NotFound
from quorum.generation import run
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project, User
from quorum.providers.batch import batched

KIND = "generate"


@register(KIND)
def run_generate(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    params, job_id, owner_id = dict(job.params), job.id, job.owner_id
    plans = run.plans(ctx.db, params)
    item_ids = run.selected_items(ctx.db, project, params)
    per_item = len(plans) * params["samples"]
    total = len(item_ids) * per_item
    tally = run.Tally()
    ctx.progress(0, total)
    allow = ctx.settings.allow_link_local_models
    for batch in batched(item_ids, max(1, run.CALLS_PER_BATCH // per_item)):
        ctx.check_cancelled()
        run.run_batch(
            ctx.db, project, ctx.db.get(User, owner_id), job_id, batch, plans, params, tally,
            allow_link_local=allow, end_reads=ctx.db.commit,
        )  # fmt: skip
        ctx.progress(tally.generated + tally.skipped + tally.failed, total)
        if tally.failed and not tally.generated and not tally.skipped:
            # Nothing has worked: a wrong key, an unknown model or a dead server fails the job now, not
            # after every other batch has failed the same way (the calls' rows are kept).
            raise run.all_failed(tally)
    return tally.as_dict()
