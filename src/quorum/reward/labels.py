"""A project's consensus comparisons as training labels for the reward model.

One label per candidate pair of a completed item, from the item's consensus (gold > reviewer's correction >
the task type's consensus over the votes no reviewer rejected: ``consensus/precedence.py``) turned into
pairs by the task type's ``comparisons`` hook (pairwise: one pair; ranking: every pair of different tiers).
Ties teach a Bradley-Terry head nothing and are left out. A pairwise strength becomes the label's weight.
A type that grades one response on its own (steps: a solution) gives one label per item: the response
beat, or lost to, a fixed baseline of reward zero (its feature is zero), so the heads learn the response's
reward on the same scale.

A label names the texts it compares by embedding part (``embeddings.texts``, the one owner of an item's
prompt and response texts), so its features are read from the embedding store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.consensus.precedence import item_consensus
from quorum.db import bulk
from quorum.embeddings import texts
from quorum.errors import Invalid, field_error
from quorum.models import ActiveSelection, Item, Judgment, Project
from quorum.reviews.decisions import outcomes
from quorum.task_types import registry

BATCH = 1000
# The library's least (``quorum.core.reward.model.MIN_LABELS``), named here to spare the request NumPy.
MIN_LABELS = 10
# How much a stated strength weighs; no strength (or a ranking) weighs 1.
STRENGTH_WEIGHT = {"negligibly": 0.25, "slightly": 0.5, "better": 0.75, "significantly": 1.0}


BASELINE = None
"""The part of a label's side that is the zero-reward baseline (a response graded on its own)."""


@dataclass(frozen=True)
class Label:
    """``first`` beat ``second`` (embedding parts of ``item_id``, e.g. ``candidate:1``; ``BASELINE`` for
    the zero-reward side of a response graded on its own) in the consensus."""

    item_id: int
    first: str | None
    second: str | None
    weight: float
    strength: str | None
    arm: str | None
    judgment_ids: tuple[int, ...]


def candidate(index: int) -> str:
    return f"candidate:{index}"


RESPONSE = candidate(0)
"""The part of the one response of a type that grades one (a steps solution)."""


def has_texts(payload: dict[str, Any], parts: list[str]) -> bool:
    return all(texts.text(payload, p) is not None for p in [texts.PROMPT, *parts])


def supports(project: Project) -> bool:
    """Whether the project's task type compares candidates or grades one response (what a reward model
    learns from)."""
    kind = registry.get(project.task_type)
    return kind.grades_one_response or kind.candidate_slots(kind.parse_config(project.config)) is not None


def require_trainable(project: Project) -> None:
    if not supports(project):
        raise Invalid(
            f"a {project.task_type} project has no candidate comparisons to train a reward model on",
            [
                field_error(
                    "project", "the task type must compare candidates (pairwise, ranking) or grade steps"
                )
            ],
        )


def count(db: Session, project: Project) -> int:
    """Completed items: the consensus labels the retrain interval counts (one cheap statement)."""
    return int(
        db.scalar(select(func.count()).where(Item.project_id == project.id, Item.status == "complete")) or 0
    )


def _arms(db: Session, ids: list[int]) -> dict[int, str]:
    """Each item's arm from its latest selection (an item never selected has none)."""
    arms: dict[int, str] = {}
    query = select(ActiveSelection.item_id, ActiveSelection.arm).where(
        bulk.among(db, ActiveSelection.item_id, ids)
    )
    for row in db.execute(query.order_by(ActiveSelection.id)):
        arms[row.item_id] = row.arm
    return arms


def read(db: Session, project: Project) -> Iterator[Label]:
    """Every label of the project, in item order, a page of items at a time."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    after = 0
    while True:
        items = db.execute(
            select(Item.id, Item.payload, Item.gold)
            .where(Item.project_id == project.id, Item.status == "complete", Item.id > after)
            .order_by(Item.id)
            .limit(BATCH)
        ).all()
        if not items:
            return
        after = items[-1].id
        ids = [i.id for i in items]
        reviewed = outcomes(db, ids)
        arms = _arms(db, ids)
        votes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        voters: dict[int, list[int]] = defaultdict(list)
        n_judgments: dict[int, int] = defaultdict(int)
        for j in db.execute(
            select(Judgment.id, Judgment.item_id, Judgment.answer)
            .where(bulk.among(db, Judgment.item_id, ids))
            .order_by(Judgment.id)
        ):
            n_judgments[j.item_id] += 1
            if j.item_id not in reviewed or j.id not in reviewed[j.item_id].rejected:
                votes[j.item_id].append(j.answer)
                voters[j.item_id].append(j.id)
        for item in items:
            outcome = reviewed.get(item.id)
            consensus = item_consensus(
                kind,
                config,
                votes[item.id],
                n_judgments=n_judgments[item.id],
                gold=item.gold,
                corrected=outcome.corrected if outcome else None,
            )
            answer = consensus.answer
            if not isinstance(answer, dict):
                continue
            verdict = kind.response_verdict(answer) if kind.grades_one_response else None
            if verdict is not None:
                if has_texts(item.payload, [RESPONSE]):
                    sides = (RESPONSE, BASELINE) if verdict > 0.5 else (BASELINE, RESPONSE)
                    yield Label(
                        item.id, sides[0], sides[1], 1.0, None, arms.get(item.id), tuple(voters[item.id])
                    )
                continue
            strength = answer.get("strength") if isinstance(answer.get("strength"), str) else None
            weight = STRENGTH_WEIGHT.get(strength or "", 1.0)
            for a, b, result in kind.comparisons(answer) or []:
                if result == 0.5 or not has_texts(item.payload, [candidate(a), candidate(b)]):
                    continue
                first, second = (a, b) if result > 0.5 else (b, a)
                yield Label(
                    item.id,
                    candidate(first),
                    candidate(second),
                    weight,
                    strength,
                    arms.get(item.id),
                    tuple(voters[item.id]),
                )
