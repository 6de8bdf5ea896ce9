"""Adaptive overlap: rules that say whether an item's answers so far are conclusive.

A project names its rule (``overlap_rule``); when an item's judgments reach its target and the project
allows more (``overlap_max``), an inconclusive verdict raises the target by one. Rules:

- ``agreement`` (the default): the task type's consensus confidence reaches the project's
  ``confidence_target`` (1.0, the default, means unanimous).
- ``dawid_skene``: model-based confidence. The posterior probability of the item's most probable
  main-question label, given who answered what and each annotator's confusion matrix from a Dawid-Skene
  fit over the project's judgments (``quorum.consensus.online``: stored per project, refitted by a
  ``consensus_refit`` job after 10% new judgments, never in the submit), reaches ``confidence_target``.
  Two reliable annotators who agree can settle an item that several unreliable ones cannot. Posteriors
  are never exactly 1, so this rule wants a target under 1 (e.g. 0.95). With too little data for a model
  (under 20 answers in the project), no fit yet (the first refit job has not run) or an answer it cannot
  place, it falls back to ``agreement``.

A rule is ``rule(answers, consensus, confidence_target, context) -> bool``; ``context`` carries the
session, project, item and the answering users (parallel to ``answers``) for rules that need more than
the answers. Register new ones with ``@rule("name")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from quorum.errors import Invalid, field_error
from quorum.models import Item, Project
from quorum.task_types.base import Consensus, TaskType


@dataclass(frozen=True)
class OverlapContext:
    db: Session
    project: Project
    item: Item
    kind: TaskType[Any, Any, Any]
    config: Any
    users: list[int]
    """The user id behind each answer, in the same order."""


OverlapRule = Callable[[list[dict[str, Any]], Consensus, float, OverlapContext], bool]
RULES: dict[str, OverlapRule] = {}


def rule(name: str) -> Callable[[OverlapRule], OverlapRule]:
    def add(fn: OverlapRule) -> OverlapRule:
        RULES[name] = fn
        return fn

    return add


@rule("agreement")
def agreement(
    answers: list[dict[str, Any]], consensus: Consensus, confidence_target: float, context: OverlapContext
) -> bool:
    return consensus.confidence >= confidence_target


@rule("dawid_skene")
def dawid_skene(
    answers: list[dict[str, Any]], consensus: Consensus, confidence_target: float, context: OverlapContext
) -> bool:
    # Imported here: the model brings NumPy and SciPy, which every other claim and command can skip.
    from quorum.consensus import online

    confidence = online.item_confidence(
        context.db, context.project, context.kind, context.config, context.users, answers
    )
    if confidence is None:
        return agreement(answers, consensus, confidence_target, context)
    return confidence >= confidence_target


def get(name: str) -> OverlapRule:
    try:
        return RULES[name]
    except KeyError:
        raise Invalid(
            f"overlap_rule must be one of {', '.join(sorted(RULES))}",
            [field_error("overlap_rule", "unknown rule")],
        ) from None
