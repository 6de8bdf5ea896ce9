from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE, require_project
from quorum.core.input_checks import Id
from quorum.flags import service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1", tags=["flags"])


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(default="", max_length=2000)


class FlagOut(BaseModel):
    id: int
    item_id: int
    external_id: str | None = None
    annotator: str | None = None
    item_status: str | None = None
    """``flagged`` when the item left the queue (the project's flag threshold was reached)."""
    reason: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None


@router.post("/assignments/{assignment_id}/flag", status_code=status.HTTP_201_CREATED)
def flag(assignment_id: Id, body: FlagIn, user: CurrentUser, db: DB) -> FlagOut:
    """Report the leased item as broken: the lease ends (as a skip) and the manager sees the flag."""
    created = service.flag(db, user, assignment_id, body.reason)
    return FlagOut(
        id=created.id, item_id=created.item_id, reason=created.reason, created_at=created.created_at
    )


@router.get("/projects/{ref}/flags")
def open_flags(ref: str, user: CurrentUser, db: DB) -> list[FlagOut]:
    project = require_project(db, user, ref, MANAGE)
    return [
        FlagOut(
            id=f.id,
            item_id=f.item_id,
            external_id=i.external_id,
            annotator=name,
            item_status=i.status,
            reason=f.reason,
            created_at=f.created_at,
        )
        for f, i, name in service.open_flags(db, project)
    ]


@router.post("/projects/{ref}/flags/{flag_id}/resolve")
def resolve(ref: str, flag_id: Id, body: ResolveIn, user: CurrentUser, db: DB) -> FlagOut:
    project = require_project(db, user, ref, MANAGE)
    f = service.resolve(db, user, project, flag_id, body.resolution)
    return FlagOut(
        id=f.id,
        item_id=f.item_id,
        reason=f.reason,
        created_at=f.created_at,
        resolved_at=f.resolved_at,
        resolution=f.resolution,
    )
