"""Use cases of the reward model and active learning: status, versions, train and score as jobs,
settings. Callers check access first (``accounts.access.require_project``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.errors import Conflict, Invalid, NotFound, field_error
from quorum.jobs import service as jobs
from quorum.models import Job, Project, RewardModel, User
from quorum.reward import hook, labels, settings
from quorum.reward import versions as stored


def status(db: Session, project: Project) -> dict[str, Any]:
    found = stored.view(stored.latest(db, project))
    return {**found, "consensus_labels": labels.count(db, project), "settings": settings.get(db, project)}


def versions(db: Session, project: Project) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(RewardModel).where(RewardModel.project_id == project.id).order_by(RewardModel.version.desc())
    )
    return [{k: v for k, v in stored.view(row).items() if k != "report"} for row in rows]


def version(db: Session, project: Project, number: int) -> dict[str, Any]:
    row = db.scalar(
        select(RewardModel).where(RewardModel.project_id == project.id, RewardModel.version == number)
    )
    if row is None:
        raise NotFound(f"no reward-model version {number} in project {project.name!r}")
    return stored.view(row) | {"item_ids": row.item_ids, "judgment_ids": row.judgment_ids}


def _submit(db: Session, owner: User, project: Project, kind: str) -> Job:
    """The pending job of ``kind`` for the project, or a new one (one pending per project)."""
    labels.require_trainable(project)
    # Clear errors now rather than a failed job: no model to score with, or too little to train on.
    if kind == hook.SCORE:
        stored.current(db, project)
    elif (done := labels.count(db, project)) < labels.MIN_LABELS:
        raise Invalid(
            f"too few consensus labels to train a reward model: {done} completed items",
            [field_error("labels", f"at least {labels.MIN_LABELS} completed comparisons")],
        )
    key = hook.key(kind, project.id)
    new_id = jobs.submit_once(db, kind, key, owner_id=owner.id, project_id=project.id, params={})
    job = db.get(Job, new_id) if new_id is not None else jobs.pending_job(db, key)
    if job is None:
        raise Conflict(f"a {kind} job for this project ended while being submitted; submit again")
    return job


def submit_train(db: Session, owner: User, project: Project) -> Job:
    return _submit(db, owner, project, hook.TRAIN)


def submit_score(db: Session, owner: User, project: Project) -> Job:
    return _submit(db, owner, project, hook.SCORE)


def get_settings(db: Session, project: Project) -> dict[str, Any]:
    return settings.get(db, project)


def set_settings(db: Session, project: Project, values: dict[str, Any]) -> dict[str, Any]:
    labels.require_trainable(project)
    return settings.update(db, project, values)
