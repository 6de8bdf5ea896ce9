"""Pages: the annotator workspace, and the item fragment its script loads after each submit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import ANNOTATE, require_project
from quorum.assignments import qualification, service
from quorum.core import assistance
from quorum.critiques import serving as critique_serving
from quorum.errors import Conflict, Forbidden
from quorum.models import Assignment, Item, Project
from quorum.projects.service import guidelines
from quorum.suggestions import serving as suggestion_serving
from quorum.task_types import registry
from quorum.web.deps import DB, CurrentUser, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/work")
def workspace(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, ANNOTATE)
    return render(
        request,
        "work/workspace.html",
        {
            "project": project,
            "guidelines": guidelines(db, project),
            "widget_types": [project.task_type],
        },
    )


@router.post("/ui/projects/{ref}/next")
def next_fragment(request: Request, ref: str, user: CurrentUser, db: DB) -> Response:
    """The next item as HTML (rendered here, so untrusted content is sanitised server-side)."""
    project = require_project(db, user, ref, ANNOTATE)
    try:
        claimed = service.claim(db, user, project.id)
    except (Conflict, Forbidden) as exc:
        # Told in place of the item: the project is paused, out of gold for the qualification, or this
        # annotator failed its qualification or quality gate.
        title = "No work for you in this project" if isinstance(exc, Forbidden) else "No work right now"
        return render(
            request, "work/task.html", {"assignment": None, "message": title, "detail": exc.message}
        )
    if claimed is None:
        return render(request, "work/task.html", {"assignment": None})
    assignment, item = claimed.assignment, claimed.item
    kind = registry.get(project.task_type)
    qualifying = None
    if project.qualification_size:
        record = qualification.current(db, user, project)
        if record.status == "pending":
            # The annotator is told it is a test and how far along it is; every item in it is gold.
            qualifying = {
                "number": min(record.judged + 1, project.qualification_size),
                "of": project.qualification_size,
            }
    view = service.annotator_view(project, item, assignment)
    return render(
        request,
        "work/task.html",
        {
            "assignment": assignment,
            "item": item,
            "kind": kind,
            "config": project.config,
            # Candidates in the lease's order: the widget's answer speaks of these positions.
            "payload": view["payload"],
            "qualifying": qualifying,
            # Only when the project offers suggestions and this lease shows one: {"answer", "mode"}.
            "suggestion": _suggestion(db, project, item, assignment),
            # The critic's comments when this lease shows them (``critiques/serving.py``).
            "critique": critique_serving.serve(db, item, assignment, view["display_order"]),
        },
    )


def _suggestion(db: DB, project: Project, item: Item, assignment: Assignment) -> dict[str, Any] | None:
    if not assistance.offers(assignment.assistance, "suggestion"):
        return None
    shown = suggestion_serving.offer(db, project, item, assignment)
    return None if shown is None else {**shown, "mode": project.suggestion_mode}
