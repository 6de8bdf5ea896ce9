"""Serving a suggestion with a lease, and what the judgment keeps of it.

At ``next``, an assignment whose arms (``core/assistance.py``) show a suggestion gets the item's current
one, or on a probe (a gold item, at the project's probe rate) a known-wrong answer derived from the gold
(``TaskType.wrong_answer``; a type without one shows the current suggestion and the probe is dropped).
What was shown is written on the assignment (its id, its canonical answer, whether a probe) and is never
part of the annotator's payload, which gets only ``{"answer": …}`` in the lease's screen positions. At
submit, the judgment keeps the arms and whether the submitted answer accepted what was shown. A project
offering no suggestions (``assistance`` None or without a suggestion arm) costs nothing: no statement."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.orm import Session

from quorum.core import assistance
from quorum.models import Assignment, Item, Project
from quorum.suggestions.service import current
from quorum.task_types import registry
from quorum.task_types.base import TaskType


def offer(db: Session, project: Project, item: Item, assignment: Assignment) -> dict[str, Any] | None:
    """The suggestion this lease shows, as the annotator's payload carries it, or None (blind, none)."""
    arms = assignment.assistance
    if not assistance.shown(arms, "suggestion") or arms is None:
        return None
    if "answer" in arms:  # already decided for this lease (a page reload of the same lease)
        return _displayed(project, item, assignment, arms["answer"])
    kind = registry.get(project.task_type)
    shown: dict[str, Any] | None = None
    record: dict[str, Any] = {}
    if arms.get("probe") and isinstance(item.gold, dict):
        config = kind.parse_config(project.config)
        # Not a secret, only a coin: which wrong answer the probe shows.
        shown = kind.wrong_answer(item.gold, config, random.Random(assignment.id))
        record = {"probe_answer": shown} if shown is not None else {}
    if shown is None:
        found = current(db, item.id)
        if found is not None and found.answer is not None:
            shown, record = found.answer, {"suggestion_id": found.id}
    probe = "probe_answer" in record
    # A new dict, not a mutation: the JSON column only notices a reassigned value.
    assignment.assistance = {**arms, **record, "probe": probe, "answer": shown}
    return _displayed(project, item, assignment, shown) if shown is not None else None


def _displayed(project: Project, item: Item, assignment: Assignment, answer: Any) -> dict[str, Any] | None:
    if not isinstance(answer, dict):
        return None
    kind = registry.get(project.task_type)
    order = kind.display_order(item.payload, assignment.order_seed)
    return {"answer": answer if order is None else kind.to_displayed(answer, order)}


def matches(
    kind: TaskType[Any, Any, Any], config: Any, answer: dict[str, Any], suggested: dict[str, Any]
) -> bool:
    """Whether an answer is the suggestion: every field the suggestion sets is equal (as gold is scored)."""
    return kind.gold_score(answer, suggested, config) >= 1.0


def settle(
    kind: TaskType[Any, Any, Any], config: Any, arms: dict[str, Any] | None, answer: dict[str, Any]
) -> dict[str, Any] | None:
    """The judgment's assistance: the lease's arms, plus ``accepted`` when a suggestion was shown."""
    if arms is None or not isinstance(arms.get("answer"), dict):
        return arms
    return {**arms, "accepted": matches(kind, config, answer, arms["answer"])}
