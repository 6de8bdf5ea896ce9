from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.critiques import report, service
from quorum.jobs.service import job_view
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["critiques"])


class CritiqueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100, description="The critic: a registered model's name.")
    params: dict[str, Any] = Field(default_factory=dict, description="Sampling params for each call.")


@router.post("/critiques", status_code=status.HTTP_202_ACCEPTED)
def critique(ref: str, body: CritiqueRequest, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Critic comments on every response of the project's items as a ``critique`` job (manager); an
    unknown model is a 404 and a project without responses a 422, with no job."""
    project = access(db, user, ref, MANAGE)
    return job_view(service.submit(db, user, project, body.model, body.params))


@router.get("/critiques/report")
def critique_report(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Recall of planted flaws with and without critiques, their difference, and the share of kept model
    comments that match no planted flaw (manager)."""
    project = access(db, user, ref, MANAGE)
    return report.section(db, project)
