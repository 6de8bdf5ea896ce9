from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from quorum.accounts.access import MANAGE, require_project
from quorum.core.input_checks import Id
from quorum.jobs.service import job_view
from quorum.suggestions import service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["suggestions"])


@router.post("/suggestions", status_code=status.HTTP_202_ACCEPTED)
def suggest(ref: str, body: service.Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Suggest answers for the project's items as a ``suggest`` job (manager): ``model`` is a registered
    model's name or ``learned``; ``items`` is ``new`` (no suggestion yet) or ``all``; ``item_ids`` limits it."""
    project = require_project(db, user, ref, MANAGE)
    return job_view(service.submit(db, user, project, body))


@router.get("/suggestions")
def list_suggestions(
    ref: str, user: CurrentUser, db: DB, after: Id = 0, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The project's suggestions with their provenance and status, invalid outputs included (manager)."""
    project = require_project(db, user, ref, MANAGE)
    return [
        {
            "id": s.id, "item_id": s.item_id, "source": s.source, "model": s.model_name,
            "template_version": s.template_version, "params": s.params, "job_id": s.job_id,
            "status": s.status, "answer": s.answer, "score": s.score, "error": s.error,
            "created_at": s.created_at.isoformat(),
        }
        for s in service.list_suggestions(db, project, after=after, limit=limit)
    ]  # fmt: skip
