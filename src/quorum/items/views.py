"""Pages: browse a project's items with filters, and one item with all its judgments side by side, each
with its reviews, and the consensus as exports give it (a gold answer, a reviewer's correction, or the
task type's consensus over the judgments no reviewer rejected)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from quorum.accounts.access import MANAGE, REVIEW, leased_items, require_project, role_name
from quorum.comments import service as comments
from quorum.consensus.precedence import item_consensus
from quorum.core.input_checks import Id
from quorum.errors import Invalid, QuorumError, field_error
from quorum.flags.service import flags_of
from quorum.items import bulk, search, service
from quorum.models import Project, Review, User
from quorum.reviews.decisions import outcomes
from quorum.reviews.service import reviews_of
from quorum.task_types import registry
from quorum.web.confirm import confirm_page, is_confirmed
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 50


FILTERS = (
    "q",
    "status",
    "flagged",
    "annotator",
    "answer",
    "gold",
    "confidence_min",
    "confidence_max",
    "sort",
)
SORT_CHOICES = (
    ("age", "oldest first"),
    ("-age", "newest first"),
    ("-priority", "priority, highest first"),
    ("priority", "priority, lowest first"),
    ("-judgments", "most judgments"),
    ("judgments", "fewest judgments"),
    ("confidence", "confidence, least sure first"),
    ("-confidence", "confidence, surest first"),
)


def _number(params: Mapping[str, str], name: str) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Invalid(
            f"{name} must be a number between 0 and 1", [field_error(name, "not a number", at="query")]
        ) from None


def item_query(params: Mapping[str, str]) -> search.ItemQuery:
    """The list's filters as the page's query string (or the bulk form) gives them."""
    meta_key = (params.get("meta_key") or "").strip()
    return search.ItemQuery(
        q=params.get("q") or "",
        status=params.get("status") or "",
        flagged=params.get("flagged") == "true",
        annotator=params.get("annotator") or "",
        answer=params.get("answer") or "",
        gold=params.get("gold") or "",
        confidence_min=_number(params, "confidence_min"),
        confidence_max=_number(params, "confidence_max"),
        metadata=(meta_key, params.get("meta_value") or "") if meta_key else None,
        sort=params.get("sort") or "age",
    )


def _browse(
    request: Request,
    db: DB,
    user: User,
    project: Project,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    params = request.query_params
    filters = {name: params.get(name, "") for name in (*FILTERS, "meta_key", "meta_value")}
    try:
        query = item_query(params)
        page = search.search(db, project, query, cursor=params.get("cursor", ""), limit=PAGE)
    except QuorumError as exc:
        if not isinstance(exc, Invalid):
            raise
        query, page, error, status = search.ItemQuery(), search.Page([], 0, None), exc.message, exc.status
    kept = urlencode({k: v for k, v in filters.items() if v})
    role = role_name(db, user, project)
    return render(
        request,
        "items/browse.html",
        {
            "project": project,
            "items": page.items,
            "total": page.total,
            "tab": "items",
            "role": role,
            "can_manage": user.is_admin or role == "manager",
            "filters": filters,
            "query_string": kept,
            "next_cursor": page.next_cursor,
            "statuses": service.ITEM_STATUSES,
            "sorts": SORT_CHOICES,
            "show_confidence": query.sort_key == "confidence"
            or query.confidence_min is not None
            or query.confidence_max is not None,
            "message": message,
            "error": error,
        },
        status=status,
    )


@router.get("/projects/{ref}/items")
def browse(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, REVIEW)
    done = request.query_params.get("done", "")
    return _browse(request, db, user, project, message=done[:200])


@router.post("/projects/{ref}/items/bulk", dependencies=[CSRF])
async def bulk_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    ids = [int(v) for k, v in form.multi_items() if k == "ids" and isinstance(v, str) and v.isdigit()]
    return await run_in_threadpool(_bulk_page, request, ref, user, db, fields, ids)


def _bulk_page(
    request: Request, ref: str, user: User, db: Session, form: dict[str, str], ids: list[int]
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    action = form.get("action", "")
    if form.get("all_matching") == "1":
        ids = search.matching_ids(db, project, item_query(form), bulk.MAX_ITEMS)
    back = f"/projects/{project.id}/items?" + urlencode(
        {k: form[k] for k in (*FILTERS, "meta_key", "meta_value") if form.get(k)}
    )
    if action in DESTRUCTIVE and ids and not is_confirmed(form.get("confirmed")):
        return confirm_page(
            request,
            action=f"/projects/{project.id}/items/bulk",
            message=f"{DESTRUCTIVE[action]} {len(ids)} item{'' if len(ids) == 1 else 's'}? "
            + (
                "Their judgments, reviews and comments go with them; this cannot be undone."
                if action == "delete"
                else "Nobody gets them as work any more."
            ),
            button=f"{DESTRUCTIVE[action]} {len(ids)} item{'' if len(ids) == 1 else 's'}",
            back=back,
            fields={"action": action, "ids": [str(i) for i in ids]},
        )
    try:
        priority = float(form["priority"]) if form.get("priority", "").strip() else None
    except ValueError:
        priority = float("nan")
    usernames = [u for u in form.get("usernames", "").replace(",", " ").split() if u]
    try:
        with db.begin_nested():
            count = bulk.apply(db, user, project, action, ids, priority=priority, usernames=usernames)
    except QuorumError as exc:
        return _browse(request, db, user, project, error=exc.message, status=exc.status)
    done = f"{BULK_DONE.get(action, action)}: {count} item{'' if count == 1 else 's'}"
    return RedirectResponse(back + "&" + urlencode({"done": done}), status_code=303)


DESTRUCTIVE = {"delete": "Delete", "archive": "Archive"}
BULK_DONE = {
    "priority": "Priority set",
    "pin": "Pinned",
    "review": "Sent to review",
    "archive": "Archived",
    "delete": "Deleted",
}


@router.get("/projects/{ref}/items/{item_id}")
def detail(request: Request, ref: str, item_id: Id, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, REVIEW)
    return _detail(request, db, user, project, item_id)


@router.post("/projects/{ref}/items/{item_id}/comments", dependencies=[CSRF])
def add_comment(
    request: Request, ref: str, item_id: Id, user: PageUser, db: DB, body: Annotated[str, Form()] = ""
) -> Response:
    project = require_project(db, user, ref, REVIEW)
    item = service.get_item(db, project, item_id)
    try:
        with db.begin_nested():
            comments.add(db, user, project, item, body)
    except QuorumError as exc:
        return _detail(
            request,
            db,
            user,
            project,
            item_id,
            comment_error=exc.message,
            comment_body=body,
            status=exc.status,
        )
    return RedirectResponse(f"/projects/{project.id}/items/{item.id}#comments", status_code=303)


def _detail(
    request: Request,
    db: Session,
    user: User,
    project: Project,
    item_id: int,
    *,
    comment_error: str = "",
    comment_body: str = "",
    status: int = 200,
) -> Response:
    item = service.get_item(db, project, item_id)
    kind = registry.get(project.task_type)
    # Someone working on the item (a reviewer who also annotates) sees neither its gold answer nor the
    # others' judgments, reviews or consensus until their lease ends.
    leased = bool(leased_items(db, user, [item.id]))
    judgments = [] if leased else service.judgments_of(db, item)
    reviews: dict[int, list[tuple[Review, str]]] = {}
    for review, reviewer in [] if leased else reviews_of(db, item):
        reviews.setdefault(review.judgment_id, []).append((review, reviewer))
    outcome = None if leased else outcomes(db, [item.id]).get(item.id)
    rejected = outcome.rejected if outcome else frozenset()
    consensus = (
        None
        if leased
        else item_consensus(
            kind,
            kind.parse_config(project.config),
            [j.answer for j, _ in judgments if j.id not in rejected],
            n_judgments=len(judgments),
            gold=item.gold,
            corrected=outcome.corrected if outcome else None,
        )
    )
    return render(
        request,
        "items/detail.html",
        {
            "project": project,
            "item": item,
            "tab": "items",
            "role": role_name(db, user, project),
            "judgments": judgments,
            "reviews": reviews,
            "rejected": rejected,
            "flags": flags_of(db, item),
            "leased": leased,
            "consensus": consensus,
            "kind": kind,
            "payload": kind.public_payload(item.payload),
            "config": project.config,
            "as_json": lambda value: json.dumps(value, indent=2, ensure_ascii=False),
            "readonly": True,
            "comments": comments.thread(db, user, project, item),
            "comment_error": comment_error,
            "comment_body": comment_body,
        },
        status=status,
    )
