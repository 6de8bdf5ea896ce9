from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import select

from quorum.blobs.store import LocalBlobStore
from quorum.errors import Forbidden
from quorum.models import Membership
from quorum.web.deps import DB, CurrentUser

router = APIRouter(tags=["blobs"])


class BlobOut(BaseModel):
    key: str
    url: str
    content_type: str
    size: int


def store(request: Request) -> LocalBlobStore:
    found: LocalBlobStore = request.app.state.blobs
    return found


@router.post("/api/v1/blobs", status_code=status.HTTP_201_CREATED)
async def upload(request: Request, user: CurrentUser, db: DB) -> BlobOut:
    """Upload an image (the raw body); put the returned ``url`` in an item's payload."""
    manages = db.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.role == "manager")
    )
    if not user.is_admin and manages is None:
        raise Forbidden("only admins and project managers upload files")
    with tempfile.TemporaryDirectory(prefix="quorum-blob-") as tmp:
        spool = Path(tmp) / "body"
        with spool.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)

        def chunks() -> Iterator[bytes]:
            with spool.open("rb") as f:
                while block := f.read(1 << 20):
                    yield block

        key, content_type, size = store(request).put(chunks())
    return BlobOut(key=key, url=f"/blobs/{key}", content_type=content_type, size=size)


@router.get("/blobs/{key}")
def download(key: str, request: Request, user: CurrentUser) -> FileResponse:
    """Any signed-in user may read a blob: items reference them and keys are unguessable hashes."""
    blobs = store(request)
    return FileResponse(
        blobs.path(key),
        media_type=blobs.content_type(key),
        headers={"Cache-Control": "private, max-age=86400"},
    )
