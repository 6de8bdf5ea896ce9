"""The ``synthesize`` job: generate a batch's prompts, screen them, send the survivors to review. Each
phase is idempotent (see ``generate`` and ``screen``), so a rerun after a crash finishes what is left."""

from __future__ import annotations

from typing import Any

from quorum import audit
from quorum.errors import NotFound
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, SyntheticBatch, User
from quorum.synthetic import generate, screen

KIND = "synthesize"


@register(KIND)
def run_synthesize(ctx: JobContext, job: Job) -> dict[str, Any]:
    batch = ctx.db.get(SyntheticBatch, job.params["batch"])
    if batch is None:
        raise NotFound(f"the synthetic batch of job {job.id} is gone")
    allow = ctx.settings.allow_link_local_models
    if batch.status == "generating":
        made = generate.run(
            ctx.db,
            batch,
            job_id=job.id,
            allow_link_local=allow,
            progress=ctx.progress,
            check_cancelled=ctx.check_cancelled,
        )
        ctx.check_cancelled()
        screened = screen.run(ctx.db, batch, job_id=job.id, allow_link_local=allow)
        owner = ctx.db.get(User, batch.owner_id) if batch.owner_id is not None else None
        sent = screen.send_to_review(ctx.db, owner, batch)
        batch.report = {**made, **screened, "in_review": sent}
        batch.status = "in_review"
        audit.record(
            ctx.db,
            owner,
            "synthetic.generate",
            "synthetic_batch",
            batch.id,
            project_id=batch.project_id,
            data=batch.report,
        )
        ctx.progress(made["units"], made["units"])
    return {"batch": batch.id, **batch.report}
