"""The workspace's small side requests: drafts, heartbeats, progress, and one's past answers."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status

from quorum.accounts.access import ANNOTATE, require_project
from quorum.core.input_checks import Id
from quorum.models import Draft
from quorum.web.deps import DB, CurrentUser
from quorum.workspace import drafts, history, progress
from quorum.workspace.schemas import (
    DraftIn,
    DraftOut,
    EditIn,
    HeartbeatOut,
    HistoryOut,
    ProgressOut,
    RecentOut,
    VersionOut,
)

router = APIRouter(prefix="/api/v1", tags=["workspace"])


def _draft_out(draft: Draft) -> DraftOut:
    return DraftOut(
        assignment_id=draft.assignment_id,
        state=draft.state,
        active_ms=draft.active_ms,
        updated_at=draft.updated_at,
    )


def _recent_out(r: history.Recent) -> RecentOut:
    j = r.judgment
    return RecentOut(
        id=j.id,
        item_id=j.item_id,
        external_id=r.external_id,
        assignment_id=j.assignment_id,
        answer=r.shown_answer,
        display_order=j.display_order,
        versions=r.versions,
        created_at=j.created_at,
    )


@router.get(
    "/assignments/{assignment_id}/draft",
    response_model=DraftOut,
    responses={204: {"description": "no draft saved"}},
)
def get_draft(assignment_id: Id, user: CurrentUser, db: DB) -> DraftOut | Response:
    draft = drafts.load(db, user, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT) if draft is None else _draft_out(draft)


@router.put("/assignments/{assignment_id}/draft")
def put_draft(assignment_id: Id, body: DraftIn, user: CurrentUser, db: DB) -> DraftOut:
    """Keep the answer in progress (the workspace sends it a moment after each change)."""
    return _draft_out(drafts.save(db, user, assignment_id, body.state, body.active_ms))


@router.post("/assignments/{assignment_id}/heartbeat")
def heartbeat(assignment_id: Id, user: CurrentUser, db: DB) -> HeartbeatOut:
    """The person is working on it: extend the lease, within the project's bound."""
    assignment = drafts.heartbeat(db, user, assignment_id)
    return HeartbeatOut(assignment_id=assignment.id, expires_at=assignment.expires_at)


@router.get("/projects/{ref}/progress")
def get_progress(
    ref: str,
    user: CurrentUser,
    db: DB,
    tz_offset_minutes: int = Query(0, description="your clock minus UTC, for 'today'"),
) -> ProgressOut:
    project = require_project(db, user, ref, ANNOTATE)
    p = progress.progress(db, user, project, tz_offset_minutes)
    return ProgressOut(
        done_today=p.done_today, done_total=p.done_total, queue_left=p.queue_left, average_ms=p.average_ms
    )


@router.get("/projects/{ref}/my-judgments")
def my_judgments(ref: str, user: CurrentUser, db: DB, limit: int = 20) -> list[RecentOut]:
    """Your last ``limit`` answers in the project, newest first, as you gave them."""
    project = require_project(db, user, ref, ANNOTATE)
    return [_recent_out(r) for r in history.recent(db, user, project, limit)]


def _history(db: DB, r: history.Recent) -> HistoryOut:
    earlier = history.versions(db, r.judgment)
    return HistoryOut(
        judgment=_recent_out(r),
        versions=[
            VersionOut(
                version=v.version,
                answer=v.answer,
                time_spent_ms=v.time_spent_ms,
                guideline_version=v.guideline_version,
                answered_at=v.answered_at,
                replaced_at=v.created_at,
            )
            for v in earlier
        ],
    )


@router.get("/judgments/{judgment_id}/history")
def judgment_history(judgment_id: Id, user: CurrentUser, db: DB) -> HistoryOut:
    """One of your judgments with its earlier versions."""
    judgment, item, project = history.own_judgment(db, user, judgment_id)
    return _history(db, history.as_recent(db, project, judgment, item))


@router.patch("/judgments/{judgment_id}")
def edit_judgment(judgment_id: Id, body: EditIn, user: CurrentUser, db: DB) -> HistoryOut:
    """Change your answer: validated as a submit, the answer it replaces kept as a version."""
    return _history(db, history.edit(db, user, judgment_id, body.answer, body.time_spent_ms))
