"""Synthetic-prompt batches: start one (checked, then a job), list them, and read one with its counts,
rejections by reason and the current estimate of its valid share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import MANAGE, VIEW, check_role, require_project, role_in
from quorum.errors import Conflict, Invalid, NotFound, field_error
from quorum.jobs.service import submit_job
from quorum.models import Item, Job, Project, SyntheticBatch, SyntheticPrompt, User
from quorum.projects import service as projects
from quorum.providers.service import DEFAULT_EMBEDDING, find_model
from quorum.synthetic import params as checks
from quorum.synthetic.jobs import KIND
from quorum.synthetic.seeds import item_prompt, target_payload
from quorum.synthetic.templates import TEMPLATE_VERSION
from quorum.task_types import prompt_review

REVIEW_TYPE = prompt_review.TASK_TYPE.name
SEED_LIMIT = checks.MAX_SEEDS


def start(
    db: Session, user: User, project: Project, raw: dict[str, Any], *, default_bar: float
) -> tuple[SyntheticBatch, Job]:
    """A batch and the job that fills it. Everything is checked first: a bad request leaves no job."""
    request = checks.check(raw)
    problems = []
    for name, value in (("model", request.model), ("embedding_model", request.embedding_model)):
        # The built-in embedding model is registered on first use.
        if value is not None and not (name == "embedding_model" and value == DEFAULT_EMBEDDING.name):
            try:
                find_model(db, value)
            except NotFound:
                problems.append(field_error(name, f"no registered model {value!r}", at="body"))
    if target_payload(project.task_type, project.config, "A probe prompt.") is None:
        problems.append(
            field_error("project", f"a {project.task_type} project cannot hold a bare prompt", at="path")
        )
    seeds = _seeds(db, project, request.seeds)
    if not seeds:
        problems.append(field_error("seeds", "the project has no prompt items: give seed prompts", at="body"))
    if problems:
        raise Invalid(f"invalid synthesis request: {problems[0]['field']}: {problems[0]['msg']}", problems)
    review = _review_project(db, user, project, request.review_project)
    stored = {**request.as_params(), "seeds": seeds}
    batch = SyntheticBatch(
        project_id=project.id,
        review_project_id=review.id,
        owner_id=user.id,
        method=request.method,
        model_name=request.model,
        params=stored,
        template_version=TEMPLATE_VERSION,
        status="generating",
        bar=request.bar if request.bar is not None else default_bar,
        min_reviewed=request.min_reviewed,
        report={},
    )
    db.add(batch)
    db.flush()
    job = submit_job(db, KIND, owner=user, project=project, params={"batch": batch.id})
    batch.job_id = job.id
    audit.record(
        db,
        user,
        "synthetic.start",
        "synthetic_batch",
        batch.id,
        project_id=project.id,
        data={"method": request.method, "model": request.model, "count": request.count},
    )
    db.flush()
    return batch, job


def _seeds(db: Session, project: Project, given: list[str] | None) -> list[dict[str, str]]:
    if given is not None:
        return [{"id": f"file:{i + 1}", "text": text.strip()} for i, text in enumerate(given)]
    rows = db.execute(
        select(Item.id, Item.payload).where(Item.project_id == project.id).order_by(Item.id).limit(SEED_LIMIT)
    )
    return [{"id": f"item:{i}", "text": t} for i, payload in rows if (t := item_prompt(payload))]


def _review_project(db: Session, user: User, target: Project, ref: str | None) -> Project:
    """Where survivors go to humans: a ``prompt_review`` project, by default one per target project."""
    if ref is not None:
        found = require_project(db, user, ref, MANAGE)
        if found.task_type != REVIEW_TYPE:
            raise Invalid(
                f"the review project must be a {REVIEW_TYPE} project",
                [field_error("review_project", f"a {REVIEW_TYPE} project", at="body")],
            )
        return found
    name = f"{target.name[:180]}-prompt-review"
    existing = db.scalar(select(Project).where(Project.name == name))
    if existing is None:
        created = projects.create_project(
            db, user, name=name, task_type=REVIEW_TYPE, guidelines=REVIEW_GUIDELINES
        )
        projects.add_member(db, user, created, user, "manager")
        return created
    if existing.task_type != REVIEW_TYPE:
        raise Conflict(
            f"a project named {name!r} exists and is not a {REVIEW_TYPE} project",
            [field_error("review_project", "name one explicitly", at="body")],
        )
    check_role(user, existing, role_in(db, user, existing.id), MANAGE, ref=existing.id)
    return existing


REVIEW_GUIDELINES = """Each item is a prompt a model proposed for the project's data.

- **Approve** a prompt that is clear, self-contained and worth answering as it is.
- **Edit** one that is nearly right: fix it, and the edited text is what is released.
- **Reject** one that is unclear, unanswerable, harmful, a duplicate or off-topic, and say why.
"""


def list_batches(db: Session, user: User, project: Project) -> list[SyntheticBatch]:
    check_role(user, project, role_in(db, user, project.id), VIEW, ref=project.id)
    return list(
        db.scalars(
            select(SyntheticBatch)
            .where(SyntheticBatch.project_id == project.id)
            .order_by(SyntheticBatch.id.desc())
        )
    )


def get_batch(db: Session, user: User, project: Project, batch_id: int) -> SyntheticBatch:
    batch = db.get(SyntheticBatch, batch_id)
    if batch is None or batch.project_id != project.id:
        raise NotFound(f"no synthetic batch {batch_id} in project {project.name!r}")
    return batch


def counts(db: Session, batch: SyntheticBatch) -> dict[str, Any]:
    by_status = dict(
        db.execute(
            select(SyntheticPrompt.status, func.count())
            .where(SyntheticPrompt.batch_id == batch.id)
            .group_by(SyntheticPrompt.status)
        ).all()
    )
    by_reason = dict(
        db.execute(
            select(SyntheticPrompt.reason, func.count())
            .where(SyntheticPrompt.batch_id == batch.id, SyntheticPrompt.reason.is_not(None))
            .group_by(SyntheticPrompt.reason)
        ).all()
    )
    return {"by_status": by_status, "rejections": by_reason}
