from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from quorum.accounts.access import MANAGE, require_project
from quorum.assistance import service
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["assistance"])


@router.get("/assistance")
def assistance_report(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """What model assistance does to the labels (manager): for suggestions, the acceptance rate, the
    anchoring effect (agreement with the suggestion when shown minus when hidden, with a bootstrap
    interval over items), gold accuracy and time per item shown vs blind, and per annotator the probe
    acceptance, fast accepts and whether they are flagged."""
    project = require_project(db, user, ref, MANAGE)
    return service.report(db, project)
