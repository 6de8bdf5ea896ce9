"""Judge-based routing applied to items (the rules are ``core/judge_routing.py``).

Lowering happens when a routing judge's verdicts are written (the judge job). Raising happens in the
submit of an item's first judgment, and only in projects where some judge routes: ``projects.judge_routing``
is read with the project, so everywhere else the submit path runs no extra query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quorum.assignments.queue import target_of
from quorum.core import judge_routing as rules
from quorum.core.judge_routing import Policy
from quorum.judges import prompt
from quorum.models import Item, Judge, JudgeVerdict, Project
from quorum.task_types.base import TaskType

__all__ = ["Policy", "after_first_human", "lower_targets", "policy_of", "sync_project_flag"]


def policy_of(judge: Judge) -> Policy:
    return Policy(judge.route_min_confidence, judge.route_lowered_target)


def lower_targets(db: Session, project: Project, policy: Policy, verdicts: Sequence[dict[str, Any]]) -> int:
    """Lower the targets of the confidently judged open, non-gold items among ``verdicts``; how many."""
    ids = [
        v["item_id"]
        for v in verdicts
        if v["answer"] is not None and rules.confident(policy, v["consistent"], v["confidence"])
    ]
    if not ids:
        return 0
    lowered = 0
    query = select(Item).where(Item.id.in_(ids), Item.status == "open")
    for item in db.scalars(query):
        if isinstance(item.gold, dict):
            continue  # gold items ignore the overlap
        new = rules.lowered(policy, target_of(project, item), item.judgment_count)
        if new is not None:
            db.execute(update(Item).where(Item.id == item.id).values(overlap_target=new))
            lowered += 1
    return lowered


def after_first_human(
    db: Session,
    project: Project,
    item: Item,
    kind: TaskType[Any, Any, Any],
    config: Any,
    answer: dict[str, Any],
    target: int,
) -> int:
    """The item's target once its first person answered ``answer``: one more when a routing judge
    disagrees (``core.judge_routing.raised``), else unchanged."""
    query = (
        select(JudgeVerdict.answer)
        .join(Judge, Judge.id == JudgeVerdict.judge_id)
        .where(JudgeVerdict.item_id == item.id, Judge.routing.is_(True), JudgeVerdict.error.is_(None))
    )
    human = prompt.label(kind, config, answer)
    for verdict in db.scalars(query):
        if verdict is not None and prompt.label(kind, config, verdict) != human:
            return rules.raised(target, project.overlap_max)
    return target


def sync_project_flag(db: Session, project: Project) -> None:
    """``projects.judge_routing``: whether any of its judges routes."""
    routes = db.scalar(
        select(Judge.id).where(Judge.project_id == project.id, Judge.routing.is_(True)).limit(1)
    )
    project.judge_routing = routes is not None
    db.flush()
