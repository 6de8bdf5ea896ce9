from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from quorum.accounts.access import MANAGE, REVIEW, leased_items
from quorum.accounts.access import require_project as access
from quorum.assignments.service import list_judgments
from quorum.core.input_checks import Id
from quorum.generation import service as generation
from quorum.items import importer, service
from quorum.items import jobs as import_jobs
from quorum.items.schemas import ImportResult, ItemDetail, ItemOut, ItemPage, JudgmentOut, JudgmentPage
from quorum.jobs.service import job_view
from quorum.models import Item, Judgment
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["items"])


def item_out(item: Item, *, hide_gold: bool = False) -> ItemOut:
    return ItemOut(
        id=item.id,
        external_id=item.external_id,
        payload=item.payload,
        metadata=item.meta,
        gold=None if hide_gold else item.gold,
        priority=item.priority,
        status=item.status,
        judgment_count=item.judgment_count,
        created_at=item.created_at,
    )


def judgment_out(j: Judgment, username: str) -> JudgmentOut:
    return JudgmentOut(
        id=j.id,
        item_id=j.item_id,
        assignment_id=j.assignment_id,
        annotator=username,
        answer=j.answer,
        time_spent_ms=j.time_spent_ms,
        guideline_version=j.guideline_version,
        created_at=j.created_at,
        display_order=j.display_order,
    )


@router.post(
    "/items/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportResult,
    response_model_exclude_none=True,
)
async def import_items(
    ref: str,
    request: Request,
    user: CurrentUser,
    db: DB,
    format: str | None = None,
    filename: str = "upload",
    background: bool = False,
) -> ImportResult | JSONResponse:
    """Import a JSONL, JSON-array or CSV file sent as the raw request body (streamed to disk first). With
    ``background=true`` the file is kept for a worker and the answer is ``202`` with the import job."""
    project = access(db, user, ref, MANAGE)
    suffix = Path(filename).suffix
    with tempfile.TemporaryDirectory(prefix="quorum-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
        if background:
            job = await run_in_threadpool(import_jobs.submit, db, user, project, path, format)
            return JSONResponse(job_view(job), status_code=status.HTTP_202_ACCEPTED)
        # In a worker thread: a large file takes seconds, which would stall every other request.
        report = await run_in_threadpool(
            importer.import_file,
            db,
            user,
            project,
            path,
            format,
            max_field_bytes=request.app.state.settings.max_field_bytes,
        )
    generated = generation.after_import(db, project)
    return ImportResult(**report.as_dict(), generation_job_id=generated.id if generated else None)


@router.get("/items")
def list_items(
    ref: str,
    user: CurrentUser,
    db: DB,
    status: str | None = None,
    cursor: Id = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> ItemPage:
    project = access(db, user, ref, REVIEW)
    items = service.list_items(db, project, status=status, after=cursor, limit=limit)
    leased = leased_items(db, user, [i.id for i in items])
    return ItemPage(
        items=[item_out(i, hide_gold=i.id in leased) for i in items],
        next_cursor=items[-1].id if len(items) == limit else None,
    )


@router.get("/items/{item_id}")
def get_item(ref: str, item_id: Id, user: CurrentUser, db: DB) -> ItemDetail:
    project = access(db, user, ref, REVIEW)
    item = service.get_item(db, project, item_id)
    if leased_items(db, user, [item.id]):
        # Working on it: neither the gold answer nor anyone's judgments until the lease ends.
        return ItemDetail(**item_out(item, hide_gold=True).model_dump(), judgments=[])
    judgments = [judgment_out(j, name) for j, name in service.judgments_of(db, item)]
    return ItemDetail(**item_out(item).model_dump(), judgments=judgments)


@router.get("/judgments")
def project_judgments(
    ref: str, user: CurrentUser, db: DB, cursor: Id = 0, limit: int = Query(100, ge=1, le=1000)
) -> JudgmentPage:
    project = access(db, user, ref, MANAGE)
    rows = list_judgments(db, project, after=cursor, limit=limit)
    return JudgmentPage(
        judgments=[judgment_out(j, n) for j, n in rows],
        next_cursor=rows[-1][0].id if len(rows) == limit else None,
    )
