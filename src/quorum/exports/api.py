from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from quorum.accounts.access import MANAGE
from quorum.accounts.access import require_project as access
from quorum.exports import service
from quorum.models import Project
from quorum.web.deps import DB, CurrentUser, get_database

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["exports"])


@router.get("/export")
def export(ref: str, request: Request, user: CurrentUser, db: DB, format: str = "jsonl") -> StreamingResponse:
    """Stream the export as JSON lines; the response starts before the whole project is read."""
    project = access(db, user, ref, MANAGE)
    service.check_format(project, format)
    database = get_database(request)
    project_id = project.id

    def stream() -> Iterator[str]:
        # The request's unit of work has ended by now; the stream reads in its own.
        with database.session() as session:
            fresh = session.get(Project, project_id)
            assert fresh is not None
            yield from service.lines(session, fresh, format)

    filename = f"{project.name}-{format}.jsonl".replace('"', "")
    return StreamingResponse(
        stream(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
