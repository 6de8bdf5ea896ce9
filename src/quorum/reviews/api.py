from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE, REVIEW, require_project
from quorum.core.input_checks import Id
from quorum.models import Judgment, Review
from quorum.reviews import decisions, service, undo
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1", tags=["reviews"])


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: str
    corrected_answer: Any = None
    comment: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=2000)


class ReviewOut(BaseModel):
    id: int
    judgment_id: int
    item_id: int
    reviewer: str | None = None
    annotator: str | None = None
    verdict: str
    corrected_answer: dict[str, Any] | None
    comment: str | None
    reason: str | None
    created_at: datetime


class QueuedJudgment(BaseModel):
    id: int
    item_id: int
    annotator: str
    answer: dict[str, Any]
    time_spent_ms: int
    created_at: datetime


class AnnotatorReviewStats(BaseModel):
    annotator: str
    accepted: int
    rejected: int
    corrected: int
    acceptance_rate: float | None


class ReviewsOut(BaseModel):
    reviews: list[ReviewOut]
    annotators: list[AnnotatorReviewStats]
    next_cursor: int | None


def _out(r: Review, reviewer: str | None = None, annotator: str | None = None) -> ReviewOut:
    return ReviewOut(
        id=r.id,
        judgment_id=r.judgment_id,
        item_id=r.item_id,
        reviewer=reviewer,
        annotator=annotator,
        verdict=r.verdict,
        corrected_answer=r.corrected_answer,
        comment=r.comment,
        reason=r.reason,
        created_at=r.created_at,
    )


def _queued(j: Judgment, name: str) -> QueuedJudgment:
    return QueuedJudgment(
        id=j.id,
        item_id=j.item_id,
        annotator=name,
        answer=j.answer,
        time_spent_ms=j.time_spent_ms,
        created_at=j.created_at,
    )


@router.get("/projects/{ref}/reviews/queue")
def review_queue(
    ref: str, user: CurrentUser, db: DB, limit: int = Query(20, ge=1, le=200)
) -> list[QueuedJudgment]:
    """Judgments waiting for review (sampled, or on a low-confidence item), never your own."""
    project = require_project(db, user, ref, REVIEW)
    return [_queued(j, name) for j, name in service.queue(db, user, project, limit)]


@router.post("/judgments/{judgment_id}/review", status_code=status.HTTP_201_CREATED)
def review(judgment_id: Id, body: ReviewIn, user: CurrentUser, db: DB) -> ReviewOut:
    created = service.review(
        db, user, judgment_id, body.verdict, body.corrected_answer, body.comment, body.reason
    )
    return _out(created, reviewer=user.username)


class UndoneOut(BaseModel):
    undone: int
    judgment_id: int
    verdict: str


@router.post("/reviews/{review_id}/undo")
def undo_review(review_id: Id, user: CurrentUser, db: DB) -> UndoneOut:
    """Takes back your own verdict within 30 s of recording it: the judgment waits for review again."""
    gone = undo.undo(db, user, review_id)
    return UndoneOut(undone=gone.id, judgment_id=gone.judgment_id, verdict=gone.verdict)


@router.get("/projects/{ref}/reviews")
def reviews(
    ref: str,
    user: CurrentUser,
    db: DB,
    cursor: Id = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> ReviewsOut:
    project = require_project(db, user, ref, MANAGE)
    rows = service.list_reviews(db, project, after=cursor, limit=limit)
    return ReviewsOut(
        reviews=[_out(r, reviewer, annotator) for r, reviewer, annotator in rows],
        annotators=[
            AnnotatorReviewStats(
                annotator=s.username,
                accepted=s.accepted,
                rejected=s.rejected,
                corrected=s.corrected,
                acceptance_rate=s.acceptance_rate,
            )
            for s in decisions.annotator_stats(db, project.id)
        ],
        next_cursor=rows[-1][0].id if len(rows) == limit else None,
    )
