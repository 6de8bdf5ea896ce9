from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from quorum.assignments import service
from quorum.assignments.schemas import (
    AssignmentOut,
    JudgmentCreated,
    NextTask,
    SkipIn,
    SkipOut,
    SubmitIn,
    SubmitOut,
    TaskItem,
)
from quorum.models import Project
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1", tags=["annotation"])


@router.post(
    "/projects/{ref}/next",
    response_model=NextTask,
    responses={204: {"description": "nothing is available for you now"}},
)
def next_task(ref: str, user: CurrentUser, db: DB) -> NextTask | Response:
    claimed = service.next_task(db, user, ref)
    if claimed is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    assignment, item = claimed
    project = db.get(Project, assignment.project_id)
    assert project is not None
    view = service.annotator_view(project, item)
    return NextTask(
        assignment=AssignmentOut(id=assignment.id, expires_at=assignment.expires_at, item=TaskItem(**view))
    )


@router.post("/assignments/{assignment_id}/submit", status_code=status.HTTP_201_CREATED)
def submit(
    assignment_id: int,
    body: SubmitIn,
    user: CurrentUser,
    db: DB,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> SubmitOut:
    result = service.submit(db, user, assignment_id, body.answer, body.time_spent_ms, idempotency_key)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    j = result.judgment
    return SubmitOut(
        judgment=JudgmentCreated(
            id=j.id,
            assignment_id=j.assignment_id,
            item_id=j.item_id,
            answer=j.answer,
            time_spent_ms=j.time_spent_ms,
            guideline_version=j.guideline_version,
            created_at=j.created_at,
        )
    )


@router.post("/assignments/{assignment_id}/skip")
def skip(assignment_id: int, user: CurrentUser, db: DB, body: SkipIn | None = None) -> SkipOut:
    assignment = service.skip(db, user, assignment_id, body.reason if body else "")
    return SkipOut(assignment_id=assignment.id, status=assignment.status)
