"""Attaching judges to a project, listing and detaching them, and asking one to judge (a ``judge`` job).
A judge is a registered model (``providers``); attaching one is a manager's act, and what it answers never
becomes a judgment (``judge_verdicts`` only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.errors import Conflict, Invalid, NotFound, field_error
from quorum.jobs.service import submit_job
from quorum.judges import prompt, routing
from quorum.judges.jobs import KIND
from quorum.models import Job, Judge, JudgeVerdict, Project, User
from quorum.providers.service import RESERVED_PARAMS, find_model

RESERVED = RESERVED_PARAMS | {"response_format"}


def attach(
    db: Session,
    actor: User | None,
    project: Project,
    model: str,
    *,
    params: dict[str, Any] | None = None,
    routing_on: bool = False,
    min_confidence: float = 0.8,
    lowered_target: int = 1,
) -> Judge:
    problems = []
    if reserved := sorted(RESERVED & set(params or {})):
        problems.append(field_error("params", f"set by the judge itself: {', '.join(reserved)}", at="body"))
    if not 0 <= min_confidence <= 1:
        problems.append(field_error("min_confidence", "between 0 and 1", at="body"))
    if lowered_target < 1:
        problems.append(field_error("lowered_target", "at least 1", at="body"))
    if problems:
        raise Invalid("invalid judge", problems)
    endpoint = find_model(db, model)
    if db.scalar(select(Judge.id).where(Judge.project_id == project.id, Judge.model_name == model)):
        raise Conflict(f"model {model!r} is already a judge of project {project.name!r}")
    judge = Judge(
        project_id=project.id,
        model_id=endpoint.id,
        model_name=endpoint.name,
        attached_by_id=actor.id if actor is not None else None,
        params=dict(params or {}),
        prompt_version=prompt.VERSION,
        routing=routing_on,
        route_min_confidence=min_confidence,
        route_lowered_target=lowered_target,
    )
    db.add(judge)
    db.flush()
    routing.sync_project_flag(db, project)
    audit.record(
        db, actor, "judge.attach", "project", project.id, project_id=project.id,
        data={"model": model, "routing": routing_on},
    )  # fmt: skip
    return judge


def find(db: Session, project: Project, model: str) -> Judge:
    judge = db.scalar(select(Judge).where(Judge.project_id == project.id, Judge.model_name == model))
    if judge is None:
        raise NotFound(f"model {model!r} is not a judge of project {project.name!r}")
    return judge


def detach(db: Session, actor: User | None, project: Project, model: str) -> None:
    """The judge and its verdicts go; the items' targets it lowered stay as they are."""
    judge = find(db, project, model)
    db.delete(judge)
    db.flush()
    routing.sync_project_flag(db, project)
    audit.record(
        db, actor, "judge.detach", "project", project.id, project_id=project.id, data={"model": model}
    )


def judges(db: Session, project: Project) -> list[Judge]:
    return list(db.scalars(select(Judge).where(Judge.project_id == project.id).order_by(Judge.id)))


def view(db: Session, judge: Judge) -> dict[str, Any]:
    counts = dict(
        db.execute(
            select(JudgeVerdict.error.is_(None), func.count())
            .where(JudgeVerdict.judge_id == judge.id)
            .group_by(JudgeVerdict.error.is_(None))
        ).all()
    )
    return {
        "model": judge.model_name,
        "params": judge.params,
        "prompt_version": judge.prompt_version,
        "routing": {
            "on": judge.routing,
            "min_confidence": judge.route_min_confidence,
            "lowered_target": judge.route_lowered_target,
        },
        "verdicts": int(counts.get(True, 0)),
        "invalid": int(counts.get(False, 0)),
        "created_at": judge.created_at.isoformat(),
    }


def submit_run(
    db: Session, owner: User, project: Project, model: str | None = None, *, redo: bool = False
) -> Job:
    """A ``judge`` job over the items each judge (or only ``model``) has not judged yet (all with ``redo``)."""
    chosen = [find(db, project, model)] if model is not None else judges(db, project)
    if not chosen:
        raise Invalid(
            f"project {project.name!r} has no judge; attach one first",
            [field_error("model", "no judge attached")],
        )
    params = {"judges": [j.id for j in chosen], "redo": redo}
    job = submit_job(db, KIND, owner=owner, project=project, params=params)
    audit.record(
        db,
        owner,
        "judge.run",
        "job",
        job.id,
        project_id=project.id,
        data={"models": [j.model_name for j in chosen]},
    )
    return job
