from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from quorum.accounts.access import MANAGE, require_project
from quorum.accounts.service import BearerToken
from quorum.assignments import pins, priority, quality_gate, service
from quorum.assignments.schemas import (
    AssignmentOut,
    GoldRecordOut,
    ItemPriorityIn,
    ItemQueueOut,
    JudgmentCreated,
    NextTask,
    PinsIn,
    PinsOut,
    SkipIn,
    SkipOut,
    SubmitIn,
    SubmitOut,
    SuggestionOut,
    TaskItem,
)
from quorum.core import assistance
from quorum.core.input_checks import Id
from quorum.critiques import serving as critique_serving
from quorum.models import User
from quorum.suggestions import serving as suggestion_serving
from quorum.web.deps import DB, CurrentUser, as_caller, credentials_sent

router = APIRouter(prefix="/api/v1", tags=["annotation"])


def _json(
    model: BaseModel, status_code: int = status.HTTP_200_OK, *, exclude_unset: bool = False
) -> Response:
    """``model`` as the response body, serialised once: a model returned as such is validated again
    against the route's ``response_model`` first (a tenth of a ``next`` request's CPU in the event loop).
    The route keeps ``response_model`` for the schema; the JSON is the same."""
    body = model.model_dump_json(exclude_unset=exclude_unset)
    return Response(body, status_code=status_code, media_type="application/json")


@router.post(
    "/projects/{ref}/next",
    response_model=NextTask,
    # ``suggestion`` and ``critique`` are left out unless the project offers them: no trace otherwise.
    response_model_exclude_unset=True,
    responses={204: {"description": "nothing is available for you now"}},
    dependencies=[Depends(credentials_sent)],
)
async def next_task(ref: str, request: Request) -> NextTask | Response:
    def work(db: Session, who: User | BearerToken) -> NextTask | None:
        claimed = service.claim(db, who, ref)
        if claimed is None:
            return None
        assignment = claimed.assignment
        view = service.annotator_view(claimed.project, claimed.item, assignment)
        fields: dict[str, Any] = {"id": assignment.id, "expires_at": assignment.expires_at}
        if assistance.offers(assignment.assistance, "suggestion"):
            shown = suggestion_serving.offer(db, claimed.project, claimed.item, assignment)
            fields["suggestion"] = SuggestionOut(**shown) if shown is not None else None
        if assistance.offers(assignment.assistance, "critique"):
            fields["critique"] = critique_serving.serve(db, claimed.item, assignment, view["display_order"])
        return NextTask(assignment=AssignmentOut(**fields, item=TaskItem(**view)))

    found = await as_caller(request, work)
    if found is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return _json(found, exclude_unset=True)


@router.post(
    "/assignments/{assignment_id}/submit",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmitOut,
    dependencies=[Depends(credentials_sent)],
)
async def submit(
    assignment_id: Id,
    body: SubmitIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    def work(db: Session, who: User | BearerToken) -> tuple[SubmitOut, bool]:
        result = service.submit(
            db, who, assignment_id, body.answer, body.time_spent_ms, idempotency_key,
            critique_fates=body.critique_fates,
        )  # fmt: skip
        j = result.judgment
        created = JudgmentCreated(
            id=j.id,
            assignment_id=j.assignment_id,
            item_id=j.item_id,
            answer=j.answer,
            time_spent_ms=j.time_spent_ms,
            guideline_version=j.guideline_version,
            display_order=j.display_order,
            created_at=j.created_at,
        )
        return SubmitOut(judgment=created), result.replayed

    out, replayed = await as_caller(request, work)
    response = _json(out, status.HTTP_201_CREATED)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.post("/assignments/{assignment_id}/skip")
def skip(assignment_id: Id, user: CurrentUser, db: DB, body: SkipIn | None = None) -> SkipOut:
    assignment = service.skip(db, user, assignment_id, body.reason if body else "")
    return SkipOut(assignment_id=assignment.id, status=assignment.status)


@router.patch("/projects/{ref}/items/{item_id}")
def set_item_priority(ref: str, item_id: Id, body: ItemPriorityIn, user: CurrentUser, db: DB) -> ItemQueueOut:
    """Managers set an item's priority: higher is handed out first, then the oldest."""
    project = require_project(db, user, ref, MANAGE)
    item = priority.set_priority(db, user, project, item_id, body.priority)
    return ItemQueueOut(
        id=item.id,
        external_id=item.external_id,
        priority=item.priority,
        status=item.status,
        judgment_count=item.judgment_count,
    )


@router.get("/projects/{ref}/quality-gate")
def quality_gate_report(ref: str, user: CurrentUser, db: DB) -> list[GoldRecordOut]:
    """Each annotator's gold record in the project, and whom the quality gate stops (managers only)."""
    project = require_project(db, user, ref, MANAGE)
    return [
        GoldRecordOut(
            username=r.username, gold_judged=r.gold_judged, gold_accuracy=r.gold_accuracy, gated=r.gated
        )
        for r in quality_gate.gate_report(db, project)
    ]


@router.get("/projects/{ref}/items/{item_id}/pins")
def get_pins(ref: str, item_id: Id, user: CurrentUser, db: DB) -> PinsOut:
    project = require_project(db, user, ref, MANAGE)
    return PinsOut(item_id=item_id, usernames=pins.pinned_to(db, project, item_id))


@router.put("/projects/{ref}/items/{item_id}/pins")
def set_pins(ref: str, item_id: Id, body: PinsIn, user: CurrentUser, db: DB) -> PinsOut:
    """Pin an item to named annotators: it goes to them only. An empty list unpins it."""
    project = require_project(db, user, ref, MANAGE)
    return PinsOut(item_id=item_id, usernames=pins.set_pins(db, user, project, item_id, body.usernames))
