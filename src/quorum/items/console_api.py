"""API of the items list: search with filters, sorts and a total count; bulk actions."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from quorum.accounts.access import MANAGE, REVIEW, leased_items
from quorum.accounts.access import require_project as access
from quorum.core.input_checks import Id
from quorum.items import bulk, search
from quorum.items.api import item_out
from quorum.items.schemas import ItemOut
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["items"])


class ItemSearchPage(BaseModel):
    items: list[ItemOut]
    confidence: dict[int, float | None] = Field(
        description="Item id -> cached consensus confidence (present when the list sorted or filtered by it)."
    )
    total: int = Field(description="How many items match, over all pages.")
    next_cursor: str | None


class ItemFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = ""
    status: str = ""
    flagged: bool = False
    annotator: str = ""
    answer: str = ""
    gold: str = ""
    confidence_min: float | None = None
    confidence_max: float | None = None

    def query(self) -> search.ItemQuery:
        return search.ItemQuery(**self.model_dump())


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["priority", "pin", "review", "archive", "delete"]
    ids: list[Id] = Field(default_factory=list, max_length=bulk.MAX_ITEMS)
    matching: ItemFilter | None = Field(
        default=None, description="Instead of ids: every item this filter matches (up to 10,000)."
    )
    priority: float | None = None
    usernames: list[str] = Field(default_factory=list, max_length=100)


class BulkOut(BaseModel):
    action: str
    count: int


@router.get("/items/search")
def search_items(
    ref: str,
    user: CurrentUser,
    db: DB,
    q: str = "",
    status: str = "",
    flagged: bool = False,
    annotator: str = "",
    answer: str = "",
    gold: str = "",
    confidence_min: float | None = None,
    confidence_max: float | None = None,
    sort: str = "age",
    cursor: str = "",
    limit: int = Query(50, ge=1, le=500),
) -> ItemSearchPage:
    """Items matching every filter given, in ``sort`` order (age, priority, judgments or confidence; a
    leading ``-`` for descending), one keyset page at a time, with the total count."""
    project = access(db, user, ref, REVIEW)
    query = search.ItemQuery(
        q=q,
        status=status,
        flagged=flagged,
        annotator=annotator,
        answer=answer,
        gold=gold,
        confidence_min=confidence_min,
        confidence_max=confidence_max,
        sort=sort,
    )
    page = search.search(db, project, query, cursor=cursor, limit=limit)
    leased = leased_items(db, user, [i.id for i in page.items])
    return ItemSearchPage(
        items=[item_out(i, hide_gold=i.id in leased) for i in page.items],
        confidence={i.id: i.confidence for i in page.items},
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.post("/items/bulk")
def bulk_action(ref: str, body: BulkIn, user: CurrentUser, db: DB) -> BulkOut:
    """Set priority, pin, send to review, archive or delete the items ``ids`` (or all ``matching``)."""
    project = access(db, user, ref, MANAGE)
    ids: list[Any] = body.ids
    if body.matching is not None:
        ids = search.matching_ids(db, project, body.matching.query(), bulk.MAX_ITEMS)
    count = bulk.apply(db, user, project, body.action, ids, priority=body.priority, usernames=body.usernames)
    return BulkOut(action=body.action, count=count)
