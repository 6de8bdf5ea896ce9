from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.generation import service
from quorum.generation.spec import Request
from quorum.jobs.service import job_view
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["generation"])


@router.post("/generations", status_code=status.HTTP_202_ACCEPTED)
def generate(ref: str, body: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Generate candidates for the project's prompt items as a ``generate`` job (manager); a bad model
    name or parameter is a 422 and no job."""
    project = access(db, user, ref, MANAGE)
    return job_view(service.submit(db, user, project, body))


@router.put("/generations/auto")
def set_auto(ref: str, body: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Generate for every later import of messages-only items, with these models and parameters; the
    jobs are the caller's."""
    project = access(db, user, ref, MANAGE)
    return {"auto_generate": service.set_auto(db, user, project, body)}


@router.delete("/generations/auto")
def clear_auto(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    project = access(db, user, ref, MANAGE)
    return {"auto_generate": service.set_auto(db, user, project, None)}
