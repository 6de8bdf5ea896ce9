"""Asking for critiques: a request checked and turned into a ``critique`` job (enqueued after the unit of
work commits), and the proposals an item has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.critiques.jobs import KIND
from quorum.errors import Invalid, NotFound, field_error
from quorum.jobs.service import submit_job
from quorum.models import CritiqueProposal, Job, ModelEndpoint, Project, User
from quorum.task_types import registry


def critiques_apply(project: Project) -> bool:
    """Whether the project's type has responses a critic can comment on (critique, rating, pairwise)."""
    kind = registry.get(project.task_type)
    return bool(kind.critiqued_responses(kind.example()["item"]["payload"]))


def submit(
    db: Session, owner: User, project: Project, model: str, params: dict[str, Any] | None = None
) -> Job:
    if not critiques_apply(project):
        raise Invalid(
            f"a {project.task_type} project has no responses to critique",
            [field_error("project", "critiques need a critique, rating or pairwise project", at="body")],
        )
    if db.scalar(select(ModelEndpoint.id).where(ModelEndpoint.name == model)) is None:
        raise NotFound(f"no registered model {model!r}")
    job = submit_job(db, KIND, owner=owner, project=project, params={"model": model, "params": params or {}})
    audit.record(db, owner, "critiques.submit", "job", job.id, project_id=project.id, data={"model": model})
    return job


def latest(db: Session, item_id: int) -> dict[int, CritiqueProposal]:
    """The newest usable proposal of each candidate position of an item (a reply that failed validation
    as a whole is never one)."""
    found: dict[int, CritiqueProposal] = {}
    query = (
        select(CritiqueProposal)
        .where(CritiqueProposal.item_id == item_id, CritiqueProposal.error.is_(None))
        .order_by(CritiqueProposal.id.desc())
    )
    for proposal in db.scalars(query):
        found.setdefault(proposal.position, proposal)
    return found
