"""Asking for suggestions (a ``suggest`` job), and reading an item's current one.

A request names its source: a registered chat model (``model``: its name) or the project's learned
classifier (``model: "learned"``), and its scope: every item, items with no valid suggestion yet
(``new``), or the given item ids. Jobs are enqueued after the unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.core.input_checks import Id
from quorum.errors import Invalid, field_error
from quorum.jobs.service import submit_job
from quorum.models import Item, Job, ModelEndpoint, Project, Suggestion, User
from quorum.task_types.base import parse

KIND = "suggest"
LEARNED = "learned"
VALID = "valid"
INVALID = "invalid"


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100, description="A registered model's name, or 'learned'.")
    items: Literal["all", "new"] = Field("new", description="new: items with no valid suggestion yet.")
    item_ids: list[Id] | None = Field(None, max_length=100_000, description="Only these items.")
    params: dict[str, Any] = Field(default_factory=dict, description="Sampling params for a model.")
    embedding_model: str | None = Field(
        None, max_length=100, description="learned: the registered embedding model (default local MiniLM)."
    )
    concurrency: int = Field(8, ge=1, le=64)


def check_request(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/jobs`` params, checked before any job exists."""
    return parse(Request, params, "params", ("params",)).model_dump()


def submit(db: Session, owner: User, project: Project, request: Request) -> Job:
    params = check_request(project, request.model_dump())
    if params["model"] != LEARNED and not db.scalar(
        select(exists().where(ModelEndpoint.name == params["model"]))
    ):
        raise Invalid(f"no model {params['model']!r}", [field_error("model", "not a registered model")])
    job = submit_job(db, KIND, owner=owner, project=project, params=params)
    audit.record(
        db, owner, "suggestions.submit", "job", job.id, project_id=project.id, data={"model": params["model"]}
    )
    return job


def selected_items(db: Session, project: Project, params: dict[str, Any]) -> list[int]:
    query = select(Item.id).where(Item.project_id == project.id)
    if params.get("item_ids") is not None:
        query = query.where(Item.id.in_(params["item_ids"]))
    if params.get("items", "new") == "new":
        query = query.where(~exists().where(Suggestion.item_id == Item.id, Suggestion.status == VALID))
    return list(db.scalars(query.order_by(Item.id)))


def current_query() -> Any:
    """The latest valid suggestion of each item, as a subquery of (item_id, id)."""
    return (
        select(Suggestion.item_id, func.max(Suggestion.id).label("id"))
        .where(Suggestion.status == VALID)
        .group_by(Suggestion.item_id)
        .subquery()
    )


def current(db: Session, item_id: int) -> Suggestion | None:
    """The item's current suggestion: its latest valid one (one indexed statement)."""
    return db.scalar(
        select(Suggestion)
        .where(Suggestion.item_id == item_id, Suggestion.status == VALID)
        .order_by(Suggestion.id.desc())
        .limit(1)
    )


def current_answers(db: Session, project: Project) -> dict[int, tuple[int, dict[str, Any]]]:
    """item id -> (suggestion id, answer) of every item's current suggestion in the project."""
    latest = current_query()
    rows = db.execute(
        select(Suggestion.item_id, Suggestion.id, Suggestion.answer)
        .join(latest, latest.c.id == Suggestion.id)
        .where(Suggestion.project_id == project.id)
    )
    return {item_id: (sid, answer) for item_id, sid, answer in rows if answer is not None}


def provenance(db: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Suggestion id -> what a training team needs to judge an assisted label by (exports)."""
    if not ids:
        return {}
    rows = db.execute(
        select(
            Suggestion.id, Suggestion.source, Suggestion.model_name, Suggestion.template_version,
            Suggestion.job_id, Suggestion.score,
        ).where(Suggestion.id.in_(sorted(set(ids))))
    )  # fmt: skip
    return {
        sid: {"source": source, "model": model, "template_version": version, "job_id": job, "score": score}
        for sid, source, model, version, job, score in rows
    }


def list_suggestions(db: Session, project: Project, *, limit: int = 100, after: int = 0) -> list[Suggestion]:
    query = (
        select(Suggestion)
        .where(Suggestion.project_id == project.id, Suggestion.id > after)
        .order_by(Suggestion.id)
        .limit(limit)
    )
    return list(db.scalars(query))
