"""The items list's confidence: each item's consensus confidence under its task type, over all its
judgments (as review sampling reads it), cached on the item with the judgment count it was computed at.
Submitting never waits on it: the list brings stale rows up to date when it sorts or filters by
confidence, so the first such look at a big project pays once and later ones only for new judgments."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quorum.models import Item, Judgment, Project
from quorum.models.item import CONFIDENCE_STALE_SQL, item_sql
from quorum.task_types import registry

BATCH = 2000


def stale(project: Project) -> Any:
    # The predicate of the partial index that holds exactly these rows: few, however large the project.
    return (Item.project_id == project.id, item_sql(CONFIDENCE_STALE_SQL))


def refresh(db: Session, project: Project) -> int:
    """Recomputes the stale confidences of the project's items; how many it wrote."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    written = 0
    after = 0
    while True:
        ids = list(
            db.scalars(select(Item.id).where(*stale(project), Item.id > after).order_by(Item.id).limit(BATCH))
        )
        if not ids:
            return written
        answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item_id, answer in db.execute(
            select(Judgment.item_id, Judgment.answer).where(Judgment.item_id.in_(ids)).order_by(Judgment.id)
        ):
            answers[item_id].append(answer)
        rows = [
            {
                "id": item_id,
                "confidence": kind.consensus(votes, config).confidence,
                "confidence_n": len(votes),
            }
            for item_id, votes in answers.items()
        ]
        if rows:
            db.execute(update(Item), rows)
        written += len(rows)
        after = ids[-1]
