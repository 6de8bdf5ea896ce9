"""The ``suggest`` job: thin; the work is ``generate.py`` (a registered model) or ``learned.py``."""

from __future__ import annotations

from typing import Any

from quorum.errors import BadGateway, NotFound
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project
from quorum.providers.batch import batched
from quorum.suggestions import generate, learned
from quorum.suggestions.service import KIND, LEARNED, check_request, selected_items

__all__ = ["KIND", "run_suggest"]


def summary(result: dict[str, Any]) -> str:
    return (
        f"{result.get('suggested', 0)} suggestions, {result.get('invalid', 0)} invalid outputs dropped, "
        f"{result.get('failed', 0)} failed calls"
    )


@register(KIND, check=check_request, label="Suggestions", summary=summary)
def run_suggest(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    params, job_id = dict(job.params), job.id
    item_ids = selected_items(ctx.db, project, params)
    tally = generate.Tally()
    allow = ctx.settings.allow_link_local_models
    ctx.progress(0, len(item_ids))
    if params["model"] == LEARNED:
        extra = learned.run(
            ctx.db, project, job_id, item_ids, params, tally, allow_link_local=allow, end_reads=ctx.db.commit
        )
        ctx.progress(len(item_ids), len(item_ids))
        return {**tally.as_dict(), **extra, "model": LEARNED}
    target = generate.target_of(ctx.db, params["model"])
    done = 0
    for batch in batched(item_ids, generate.ITEMS_PER_BATCH):
        ctx.check_cancelled()
        generate.run_batch(
            ctx.db, project, job_id, batch, target, params, tally, allow_link_local=allow,
            end_reads=ctx.db.commit,
        )  # fmt: skip
        done += len(batch)
        ctx.progress(done, len(item_ids))
        if tally.failed and not tally.suggested and not tally.invalid:
            # Nothing has answered: a wrong key or a dead server fails the job now (the calls' rows stay).
            raise BadGateway(f"every model call failed ({tally.failed}); first error: {tally.first_error}")
    return {**tally.as_dict(), "model": params["model"]}
