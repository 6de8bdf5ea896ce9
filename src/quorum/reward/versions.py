"""Reading reward-model versions and what they prioritised (no NumPy: the web app and the submit path
import this, and the model's libraries load only when a job trains or scores)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.db import bulk
from quorum.errors import Invalid, field_error
from quorum.models import ActiveSelection, Item, Project, RewardModel, RewardScore


def latest(db: Session, project: Project) -> RewardModel | None:
    return db.scalar(
        select(RewardModel).where(RewardModel.project_id == project.id).order_by(RewardModel.version.desc())
    )


def current(db: Session, project: Project) -> RewardModel:
    row = latest(db, project)
    if row is None:
        raise Invalid(
            "no reward model is trained for this project yet; run `quorum rm train` first",
            [field_error("reward_model", "none trained yet")],
        )
    return row


def view(row: RewardModel | None) -> dict[str, Any]:
    """``quorum rm status --json`` and the API: ``version``, ``labels``, ``accuracy`` (held-out) and its
    interval; None values before any version."""
    if row is None:
        return {"version": None, "labels": 0, "accuracy": None, "accuracy_low": None, "accuracy_high": None}
    return {
        "version": row.version,
        "labels": row.n_labels,
        "accuracy": row.accuracy,
        "accuracy_low": row.accuracy_low,
        "accuracy_high": row.accuracy_high,
        "held_out": row.report.get("held_out"),
        "created_at": row.created_at.isoformat(),
        "embedding_model": row.embedding_model,
        "job_id": row.job_id,
        "items": len(row.item_ids),
        "judgments": len(row.judgment_ids),
        "report": row.report,
    }


def selections(db: Session, project: Project, *, limit: int = 200) -> list[dict[str, Any]]:
    """The latest selections, newest first, with the version that made them."""
    query = (
        select(ActiveSelection, RewardModel.version, Item.external_id, Item.status)
        .join(RewardModel, RewardModel.id == ActiveSelection.reward_model_id)
        .join(Item, Item.id == ActiveSelection.item_id)
        .where(ActiveSelection.project_id == project.id)
        .order_by(ActiveSelection.id.desc())
        .limit(limit)
    )
    return [
        {
            "item_id": s.item_id,
            "external_id": external_id,
            "item_status": status,
            "version": version,
            "strategy": s.strategy,
            "arm": s.arm,
            "score": s.score,
            "disagreement": s.disagreement,
            "margin": s.margin,
            "priority": s.priority,
            "created_at": s.created_at.isoformat(),
        }
        for s, version, external_id, status in db.execute(query)
    ]


def scores_for(db: Session, project_id: int, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest reward-model score of each of these items that has one (exports carry it)."""
    query = (
        select(RewardScore, RewardModel.version)
        .join(RewardModel, RewardModel.id == RewardScore.reward_model_id)
        .where(RewardScore.project_id == project_id, bulk.among(db, RewardScore.item_id, item_ids))
    )
    return {
        s.item_id: {"version": version, "score": s.score, "disagreement": s.disagreement, "margin": s.margin}
        for s, version in db.execute(query)
    }


def any_scores(db: Session, project_id: int) -> bool:
    return (
        db.scalar(select(RewardScore.item_id).where(RewardScore.project_id == project_id).limit(1))
        is not None
    )
