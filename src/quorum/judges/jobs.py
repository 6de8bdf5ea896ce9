"""The ``judge`` job: thin; the work is ``judges/run.py``."""

from __future__ import annotations

from typing import Any

from quorum.errors import NotFound
from quorum.jobs.registry import JobContext, register
from quorum.judges import run
from quorum.models import Job, Project
from quorum.providers.batch import batched

KIND = "judge"


def _summary(result: dict[str, Any]) -> str:
    return (
        f"{result.get('judged', 0)} judged, {result.get('invalid', 0)} invalid, "
        f"{result.get('failed', 0)} failed, {result.get('inconsistent', 0)} inconsistent"
    )


@register(KIND, label="AI judge", summary=_summary)
def run_judge(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    params, job_id = dict(job.params), job.id
    plans = [run.plan(ctx.db, project, judge_id) for judge_id in params["judges"]]
    work = [(p, run.pending_items(ctx.db, project, p.judge_id, redo=bool(params.get("redo")))) for p in plans]
    total = sum(len(items) for _, items in work)
    tally = run.Tally()
    ctx.progress(0, total)
    allow = ctx.settings.allow_link_local_models
    done = 0
    for plan, items in work:
        for batch in batched(items, max(1, run.CALLS_PER_BATCH // 2)):
            ctx.check_cancelled()
            run.run_batch(
                ctx.db, project, job_id, batch, plan, tally, allow_link_local=allow, end_reads=ctx.db.commit
            )
            done += len(batch)
            ctx.progress(done, total)
            if tally.failed and not tally.judged and not tally.invalid:
                # Nothing has worked: a wrong key or a dead server fails the job now (the calls' rows stay).
                raise run.all_failed(tally)
    return tally.as_dict()
