"""Page action: a manager resolves a flag from the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from quorum.accounts.access import MANAGE, require_project
from quorum.core.input_checks import Id
from quorum.flags import service
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF

router = APIRouter(include_in_schema=False)


@router.post("/projects/{ref}/flags/{flag_id}/resolve", dependencies=[CSRF])
def resolve(
    ref: str, flag_id: Id, user: PageUser, db: DB, resolution: Annotated[str, Form()] = ""
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    service.resolve(db, user, project, flag_id, resolution)
    return RedirectResponse(f"/projects/{project.id}#flags", status_code=303)
