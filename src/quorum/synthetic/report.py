"""A batch as the API, CLI and page show it: status, counts, rejections by reason, the estimate of its
valid share with its 95% interval, and what the release rule says now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.models import SyntheticBatch, SyntheticPrompt
from quorum.synthetic import release, service

PROMPT_LIMIT = 500


def batch_view(db: Session, batch: SyntheticBatch) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": batch.id,
        "project_id": batch.project_id,
        "review_project_id": batch.review_project_id,
        "job_id": batch.job_id,
        "status": batch.status,
        "method": batch.method,
        "model": batch.model_name,
        "params": {k: v for k, v in batch.params.items() if k != "seeds"},
        "seeds": len(batch.params.get("seeds", [])),
        "template_version": batch.template_version,
        "bar": batch.bar,
        "min_reviewed": batch.min_reviewed,
        "report": batch.report,
        "decision": batch.decision,
        "created_at": batch.created_at.isoformat(),
        "released_at": batch.released_at.isoformat() if batch.released_at else None,
        **service.counts(db, batch),
    }
    if batch.status in ("in_review", "held", "released"):
        found, ok, why, needed = release.assess(db, batch)
        view["estimate"] = found.as_dict()
        view["rule"] = {
            "would_release": ok,
            "why": why,
            "needed": needed,
            "lower_above_bar": found.low is not None and found.low >= batch.bar,
        }
    return view


def prompt_views(db: Session, batch: SyntheticBatch, status: str | None = None) -> list[dict[str, Any]]:
    query = select(SyntheticPrompt).where(SyntheticPrompt.batch_id == batch.id)
    if status is not None:
        query = query.where(SyntheticPrompt.status == status)
    return [
        {
            "id": p.id,
            "unit": p.unit_key,
            "position": p.position,
            "text": p.text,
            "status": p.status,
            "reason": p.reason,
            "score": p.score,
            "stratum": p.stratum,
            "depth": p.depth,
            "origin": p.origin,
            "dedup": p.dedup,
            "review_item_id": p.review_item_id,
            "released_item_id": p.released_item_id,
        }
        for p in db.scalars(query.order_by(SyntheticPrompt.id).limit(PROMPT_LIMIT))
    ]
