"""API: an item's comment thread."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import VIEW, require_project
from quorum.comments import service
from quorum.core.input_checks import Id
from quorum.models import ItemComment
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}/items/{item_id}", tags=["comments"])


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=service.MAX_BODY + 1000)


class CommentOut(BaseModel):
    id: int
    item_id: int
    author: str | None
    body: str = Field(description="Markdown; pages render it with raw HTML off, sanitised.")
    created_at: datetime


class CommentsOut(BaseModel):
    comments: list[CommentOut]
    can_write: bool


def _out(c: ItemComment, author: str | None) -> CommentOut:
    return CommentOut(id=c.id, item_id=c.item_id, author=author, body=c.body, created_at=c.created_at)


@router.get("/comments")
def comments(ref: str, item_id: Id, user: CurrentUser, db: DB) -> CommentsOut:
    project = require_project(db, user, ref, VIEW)
    item = service.item_of(db, project, item_id)
    rows = service.thread(db, user, project, item)
    return CommentsOut(
        comments=[_out(c, a) for c, a in rows], can_write=service.access(db, user, project, item) == "write"
    )


@router.post("/comments", status_code=status.HTTP_201_CREATED)
def add_comment(ref: str, item_id: Id, body: CommentIn, user: CurrentUser, db: DB) -> CommentOut:
    project = require_project(db, user, ref, VIEW)
    item = service.item_of(db, project, item_id)
    comment = service.add(db, user, project, item, body.body)
    return _out(comment, user.username)
