"""Pages: browse a project's items with filters, and one item with all its judgments side by side, each
with its reviews, and the consensus as exports give it (a gold answer, a reviewer's correction, or the
task type's consensus over the judgments no reviewer rejected)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.accounts.access import REVIEW, leased_items, require_project, role_name
from quorum.consensus.precedence import item_consensus
from quorum.core.input_checks import Id
from quorum.flags.service import flags_of
from quorum.items import service
from quorum.models import Review
from quorum.reviews.decisions import outcomes
from quorum.reviews.service import reviews_of
from quorum.task_types import registry
from quorum.web.deps import DB, PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/projects/{ref}/items")
def browse(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    status: str = "",
    meta_key: str = "",
    meta_value: str = "",
    cursor: Id = 0,
) -> Response:
    project = require_project(db, user, ref, REVIEW)
    metadata = (meta_key, meta_value) if meta_key else None
    items = service.list_items(
        db, project, status=status or None, after=cursor, limit=PAGE, metadata=metadata
    )
    return render(
        request,
        "items/browse.html",
        {
            "project": project,
            "items": items,
            "tab": "items",
            "status": status,
            "meta_key": meta_key,
            "meta_value": meta_value,
            "next_cursor": items[-1].id if len(items) == PAGE else None,
            "statuses": service.ITEM_STATUSES,
        },
    )


@router.get("/projects/{ref}/items/{item_id}")
def detail(request: Request, ref: str, item_id: Id, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, REVIEW)
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
        },
    )
