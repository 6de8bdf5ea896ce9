from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.jobs.service import job_view
from quorum.judges import report, service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}/judges", tags=["judges"])


class Attach(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)
    routing: bool = False
    min_confidence: float = 0.8
    lowered_target: int = 1


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    redo: bool = False


@router.get("")
def list_judges(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The project's judges (manager)."""
    project = access(db, user, ref, MANAGE)
    return {"judges": [service.view(db, j) for j in service.judges(db, project)]}


@router.post("", status_code=status.HTTP_201_CREATED)
def attach(ref: str, body: Attach, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Attach a registered model as a judge (manager); an unknown model is a 404, a second time a 409."""
    project = access(db, user, ref, MANAGE)
    judge = service.attach(
        db, user, project, body.model, params=body.params, routing_on=body.routing,
        min_confidence=body.min_confidence, lowered_target=body.lowered_target,
    )  # fmt: skip
    return service.view(db, judge)


@router.delete("/{model}", status_code=status.HTTP_204_NO_CONTENT)
def detach(ref: str, model: str, user: CurrentUser, db: DB) -> Response:
    project = access(db, user, ref, MANAGE)
    service.detach(db, user, project, model)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/run", status_code=status.HTTP_202_ACCEPTED)
def run(ref: str, body: Run, user: CurrentUser, db: DB) -> dict[str, Any]:
    """A ``judge`` job over the items the judges (or ``model`` only) have not judged yet."""
    project = access(db, user, ref, MANAGE)
    return job_view(service.submit_run(db, user, project, body.model, redo=body.redo))


@router.get("/report")
def judges_report(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Each judge's agreement with people next to people's with each other (``judges.report``)."""
    project = access(db, user, ref, MANAGE)
    return report.section(db, project)
