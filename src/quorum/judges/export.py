"""Judges in exports: each item's verdicts under their own ``judges`` key, never among the people's
``judgments`` nor in the consensus. Projects without judges export exactly as before (no key at all)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.db import bulk
from quorum.models import Judge, JudgeVerdict, Project


def has_judges(db: Session, project: Project) -> bool:
    return db.scalar(select(Judge.id).where(Judge.project_id == project.id).limit(1)) is not None


def verdicts(db: Session, item_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Valid verdicts per item: ``{"model", "answer", "consistent", "confidence"}`` (invalid ones are
    dropped, as they count nowhere)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not item_ids:
        return out
    query = (
        select(
            JudgeVerdict.item_id, Judge.model_name, JudgeVerdict.answer, JudgeVerdict.consistent,
            JudgeVerdict.confidence,
        )
        .join(Judge, Judge.id == JudgeVerdict.judge_id)
        .where(bulk.among(db, JudgeVerdict.item_id, item_ids), JudgeVerdict.error.is_(None))
        .order_by(JudgeVerdict.item_id, Judge.id)
    )  # fmt: skip
    for item_id, model, answer, consistent, confidence in db.execute(query):
        out[item_id].append(
            {"model": model, "answer": answer, "consistent": consistent, "confidence": confidence}
        )
    return out
