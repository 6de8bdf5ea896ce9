"""A project's consensus comparisons as training labels for the reward model.

One label per candidate pair of a completed item, from the item's consensus (gold > reviewer's correction >
the task type's consensus over the votes no reviewer rejected: ``consensus/precedence.py``) turned into
pairs by the task type's ``comparisons`` hook (pairwise: one pair; ranking: every pair of different tiers).
Ties teach a Bradley-Terry head nothing and are left out. A pairwise strength becomes the label's weight.
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
from quorum.errors import Invalid, field_error
from quorum.models import ActiveSelection, Item, Judgment, Project
from quorum.reviews.decisions import outcomes
from quorum.task_types import registry

BATCH = 1000
# The library's least (``quorum.core.reward.model.MIN_LABELS``), named here to spare the request NumPy.
MIN_LABELS = 10
# How much a stated strength weighs; no strength (or a ranking) weighs 1.
STRENGTH_WEIGHT = {"negligibly": 0.25, "slightly": 0.5, "better": 0.75, "significantly": 1.0}


@dataclass(frozen=True)
class Label:
    """``first`` beat ``second`` (candidate indexes of ``item_id``) in the consensus."""

    item_id: int
    prompt: str
    first: str
    second: str
    weight: float
    strength: str | None
    arm: str | None
    judgment_ids: tuple[int, ...]


def prompt_text(payload: dict[str, Any]) -> str:
    """The conversation before the candidates, as the embedding model reads it."""
    return "\n".join(
        f"{m.get('role', 'user')}: {m.get('content', '')}" for m in payload.get("messages") or []
    )


def candidate_texts(payload: dict[str, Any]) -> list[str]:
    return [str(c.get("content", "")) for c in payload.get("candidates") or []]


def supports(project: Project) -> bool:
    """Whether the project's task type compares candidates (the only kind a reward model learns from)."""
    kind = registry.get(project.task_type)
    return kind.candidate_slots(kind.parse_config(project.config)) is not None


def require_trainable(project: Project) -> None:
    if not supports(project):
        raise Invalid(
            f"a {project.task_type} project has no candidate comparisons to train a reward model on",
            [field_error("project", "the task type must compare candidates (pairwise, ranking)")],
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
            pairs = kind.comparisons(answer) or []
            texts = candidate_texts(item.payload)
            strength = answer.get("strength") if isinstance(answer.get("strength"), str) else None
            weight = STRENGTH_WEIGHT.get(strength or "", 1.0)
            for a, b, result in pairs:
                if result == 0.5 or max(a, b) >= len(texts):
                    continue
                first, second = (a, b) if result > 0.5 else (b, a)
                yield Label(
                    item.id,
                    prompt_text(item.payload),
                    texts[first],
                    texts[second],
                    weight,
                    strength,
                    arms.get(item.id),
                    tuple(voters[item.id]),
                )
