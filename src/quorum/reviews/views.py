"""Page: a reviewer works the review queue one judgment at a time, keyboard first."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from quorum.accounts.access import REVIEW, require_project, role_name
from quorum.errors import NotFound, QuorumError
from quorum.items.service import judgments_of
from quorum.models import Item, Judgment, Project, Review, User
from quorum.reviews import service, undo
from quorum.task_types import registry
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)
FIELDS = ("verdict", "reason", "corrected_answer", "comment")


def _page(
    request: Request,
    db: DB,
    user: User,
    project: Project,
    current: tuple[Judgment, str] | None,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "project": project,
        "tab": "review",
        "waiting": service.waiting_count(db, user, project),
        "current": None,
        "errors": errors or {},
        "form": form or {},
        "saved": request.query_params.get("saved") == "1",
        "role": role_name(db, user, project),
        "undoable": _undoable(db, user, request.query_params.get("review", "")),
        "undone": request.query_params.get("undone") == "1",
        "undo_seconds": undo.SHOWN_SECONDS,
    }
    if current is not None:
        judgment, annotator = current
        item = db.get(Item, judgment.item_id)
        if item is None:
            raise NotFound(f"no item {judgment.item_id}")
        kind = registry.get(project.task_type)
        # The other annotators' answers to the same item, beside the one under review (a reviewer may see
        # them; the queue never offers a judgment of an item the reviewer is working on).
        others = [(j, name) for j, name in judgments_of(db, item) if j.id != judgment.id]
        context.update(
            others=others,
            fill=(kind.assets_dir() / "fill.js").exists(),
            current=judgment,
            annotator=annotator,
            item=item,
            kind=kind,
            payload=kind.public_payload(item.payload),
            config=project.config,
            fill_answer=_typed_correction(form) or judgment.answer,
            readonly=True,
        )
    return render(request, "reviews/queue.html", context, status=status)


def _typed_correction(form: dict[str, str] | None) -> Any:
    """A refused correction comes back in the form as the reviewer left it."""
    if not form or form.get("verdict") != "correct":
        return None
    try:
        return json.loads(form.get("corrected_answer") or "null")
    except json.JSONDecodeError:
        return None


def _undoable(db: DB, user: User, raw: str) -> Review | None:
    """The verdict just recorded, while it may still be undone (the undo bar offers it)."""
    review = db.get(Review, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if review is None or review.reviewer_id != user.id or not undo.within_window(review):
        return None
    return review


@router.get("/projects/{ref}/review")
def review_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, REVIEW)
    queued = service.queue(db, user, project, 1)
    return _page(request, db, user, project, queued[0] if queued else None)


def _field_errors(exc: QuorumError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for detail in exc.details if isinstance(exc.details, list) else []:
        field = str(detail.get("field", "")).split(".")[0]
        if field in FIELDS:
            errors.setdefault(field, f"{detail.get('field')}: {detail.get('msg', exc.message)}")
    return errors or {"form": exc.message}


@router.post("/projects/{ref}/review", dependencies=[CSRF])
def submit_review(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    judgment_id: Annotated[int, Form()],
    verdict: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    corrected_answer: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    project = require_project(db, user, ref, REVIEW)
    judgment = db.get(Judgment, judgment_id)
    if judgment is None or judgment.project_id != project.id:
        raise NotFound(f"no judgment {judgment_id} in project {project.name!r}")
    annotator = db.get(User, judgment.user_id)
    current = (judgment, annotator.username if annotator else "?")
    form = {"verdict": verdict, "reason": reason, "corrected_answer": corrected_answer, "comment": comment}
    answer: Any = None
    if verdict == "correct":
        try:
            answer = json.loads(corrected_answer) if corrected_answer.strip() else None
        except json.JSONDecodeError as exc:
            errors = {"corrected_answer": f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"}
            return _page(request, db, user, project, current, errors=errors, form=form, status=422)
    try:
        with db.begin_nested():
            created = service.review(db, user, judgment.id, verdict, answer, comment, reason)
    except QuorumError as exc:
        return _page(
            request, db, user, project, current, errors=_field_errors(exc), form=form, status=exc.status
        )
    return RedirectResponse(f"/projects/{project.id}/review?saved=1&review={created.id}", status_code=303)


@router.post("/projects/{ref}/review/undo", dependencies=[CSRF])
def undo_review(
    request: Request, ref: str, user: PageUser, db: DB, review_id: Annotated[int, Form()]
) -> Response:
    project = require_project(db, user, ref, REVIEW)
    try:
        with db.begin_nested():
            undo.undo(db, user, review_id, project=project)
    except QuorumError as exc:
        queued = service.queue(db, user, project, 1)
        return _page(
            request,
            db,
            user,
            project,
            queued[0] if queued else None,
            errors={"form": exc.message},
            status=exc.status,
        )
    return RedirectResponse(f"/projects/{project.id}/review?undone=1", status_code=303)
