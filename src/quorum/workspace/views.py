"""Page: edit one of your earlier answers, in the task type's own form, as the item was shown to you."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import ANNOTATE, require_project
from quorum.core.input_checks import Id
from quorum.errors import NotFound
from quorum.task_types import registry
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render
from quorum.workspace import history

router = APIRouter(include_in_schema=False)


@router.get("/projects/{ref}/work/judgments/{judgment_id}")
def edit_page(request: Request, ref: str, judgment_id: Id, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, ANNOTATE)
    judgment, item, owner = history.own_judgment(db, user, judgment_id)
    if owner.id != project.id:
        raise NotFound(f"no judgment {judgment_id} in project {project.name!r}")
    kind = registry.get(project.task_type)
    order = judgment.display_order
    shown = item.payload if order is None else kind.arrange(item.payload, order)
    recent = history.as_recent(db, project, judgment, item)
    return render(
        request,
        "work/edit.html",
        {
            "project": project,
            "judgment": judgment,
            "item": item,
            "kind": kind,
            "config": project.config,
            "payload": kind.public_payload(shown),
            # ensure_ascii off: the person reads their own words, never \u escape codes.
            "answer_json": json.dumps(recent.shown_answer, indent=2, ensure_ascii=False),
            "shown_answer": recent.shown_answer,
            "versions": recent.versions,
            "widget_types": [project.task_type],
        },
    )
