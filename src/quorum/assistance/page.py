"""The suggestions card of managers' quality page: the measured effect and who the probes flag."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from quorum.assistance.service import suggestions_section
from quorum.models import Project, Suggestion

PAGE_RESAMPLES = 200


def section(db: Session, project: Project) -> dict[str, Any] | None:
    """None where the project has never run suggestions (no cost, no card)."""
    if project.suggestion_share <= 0 and not db.scalar(
        select(exists().where(Suggestion.project_id == project.id))
    ):
        return None
    found = suggestions_section(db, project, n_boot=PAGE_RESAMPLES)
    found["flagged"] = [a for a in found["annotators"] if a["flagged"]]
    return found
