"""Asking for generation: a request checked and turned into a ``generate`` job, and the project setting
that asks for it after each import of messages-only items. Jobs are enqueued after the unit of work
commits (``jobs.service.submit_job``): a failed request or import submits nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.generation import spec
from quorum.generation.jobs import KIND
from quorum.items.payloads import AWAITING
from quorum.jobs.service import submit_job
from quorum.models import Item, Job, ModelEndpoint, Project, User


def submit(db: Session, owner: User, project: Project, request: spec.Request) -> Job:
    params = spec.check(db, project, request)
    job = submit_job(db, KIND, owner=owner, project=project, params=params)
    audit.record(
        db,
        owner,
        "generation.submit",
        "job",
        job.id,
        project_id=project.id,
        data={"models": params["models"]},
    )
    return job


def set_auto(
    db: Session, actor: User, project: Project, request: spec.Request | None
) -> dict[str, Any] | None:
    """Generation for every later import of messages-only items (``None`` turns it off); its jobs are
    ``actor``'s. The setting is checked like a request, on the awaiting items."""
    if request is None:
        project.auto_generate = None
    else:
        if request.items != "awaiting" or request.external_ids is not None or request.status is not None:
            request = request.model_copy(update={"items": "awaiting", "external_ids": None, "status": None})
        project.auto_generate = {**spec.check(db, project, request), "owner_id": actor.id}
    db.flush()
    audit.record(
        db, actor, "generation.auto", "project", project.id, project_id=project.id,
        data={"models": (project.auto_generate or {}).get("models")},
    )  # fmt: skip
    return project.auto_generate


def after_import(db: Session, project: Project) -> Job | None:
    """The automatic generation job for the project's awaiting items, if the project asks for one."""
    auto = project.auto_generate
    if not auto:
        return None
    awaiting = db.scalar(select(exists().where(Item.project_id == project.id, Item.status == AWAITING)))
    owner = db.get(User, auto.get("owner_id"))
    if not awaiting or owner is None or not owner.is_active:
        return None
    params = {k: v for k, v in auto.items() if k != "owner_id"}
    return submit_job(db, KIND, owner=owner, project=project, params=params)


def model_names(db: Session) -> list[str]:
    """The registered models a manager may generate with (names only: keys and URLs are the admin's)."""
    return list(db.scalars(select(ModelEndpoint.name).order_by(ModelEndpoint.name)))
