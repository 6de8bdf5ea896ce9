"""The ``rm_train`` and ``rm_score`` jobs: train a new reward-model version, score and prioritise.

A finished ``rm_train`` asks for an ``rm_score`` when the project has active learning on, so a retrain
that the submit path asked for ends with fresh priorities.
"""

from __future__ import annotations

from typing import Any

from quorum.audit import record
from quorum.errors import Invalid, NotFound, field_error
from quorum.jobs import service as jobs
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project
from quorum.reward import hook, labels, settings, versions

TRAIN = hook.TRAIN
SCORE = hook.SCORE


def _no_params(kind: str) -> Any:
    def check(project: Project, params: dict[str, Any]) -> dict[str, Any]:
        labels.require_trainable(project)
        if params:
            raise Invalid(
                f"an {kind} job takes no params", [field_error("params", "must be empty", at="body")]
            )
        return {}

    return check


def _project(ctx: JobContext, job: Job) -> Project:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    return project


def _train_summary(result: dict[str, Any]) -> str:
    accuracy = result.get("accuracy")
    shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
    return f"version {result.get('version')} on {result.get('labels')} labels, held-out accuracy {shown}"


def _score_summary(result: dict[str, Any]) -> str:
    return f"scored {result.get('scored')} items with version {result.get('version')}, prioritised {result.get('selected')}"


@register(
    TRAIN,
    check=_no_params(TRAIN),
    key=lambda project, params: hook.key(TRAIN, project.id),
    label="Reward model training",
    summary=_train_summary,
)
def run_train(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = _project(ctx, job)
    from quorum.reward import training  # NumPy and SciPy load when a job trains

    row = training.train(ctx, project, job_id=job.id, allow_link_local=ctx.settings.allow_link_local_models)
    record(
        ctx.db,
        None,
        "reward.train",
        "project",
        project.id,
        project_id=project.id,
        data={"version": row.version, "labels": row.n_labels, "job": job.id},
    )
    if settings.get(ctx.db, project)["enabled"]:
        jobs.submit_once(
            ctx.db,
            SCORE,
            hook.key(SCORE, project.id),
            owner_id=job.owner_id,
            project_id=project.id,
            params={},
        )
    ctx.progress(row.n_labels, row.n_labels)
    return versions.view(row) | {"report": None}


@register(
    SCORE,
    check=_no_params(SCORE),
    key=lambda project, params: hook.key(SCORE, project.id),
    label="Reward model scoring",
    summary=_score_summary,
)
def run_score(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = _project(ctx, job)
    from quorum.reward import scoring

    result = scoring.score(
        ctx, project, job_id=job.id, allow_link_local=ctx.settings.allow_link_local_models, seed=job.id
    )
    ctx.progress(result["scored"], result["scored"])
    return {k: v for k, v in result.items() if k != "selection"}
