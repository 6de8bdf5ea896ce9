"""Browse and look up items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from quorum.errors import Invalid, NotFound, field_error
from quorum.judgments.repository import with_annotator
from quorum.models import Assignment, Flag, Item, Judgment, Project, User

# "archived": a manager took the item out of the work (items list, bulk archive).
ITEM_STATUSES = ("open", "awaiting", "complete", "flagged", "archived")


def list_items(
    db: Session,
    project: Project,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
    metadata: tuple[str, str] | None = None,
    has_open_flags: bool = False,
) -> list[Item]:
    """Items by id, after the cursor ``after`` (the last id of the previous page); ``metadata`` keeps items
    whose metadata field equals the given text."""
    if status is not None and status not in ITEM_STATUSES:
        raise Invalid(
            f"status must be one of {', '.join(ITEM_STATUSES)}",
            [field_error("status", "unknown status", at="query")],
        )
    query = select(Item).where(Item.project_id == project.id, Item.id > after)
    if status:
        query = query.where(Item.status == status)
    if has_open_flags:
        query = query.where(exists().where(Flag.item_id == Item.id, Flag.resolved_at.is_(None)))
    if metadata is not None:
        key, value = metadata
        query = query.where(Item.meta[key].as_string() == value)
    return list(db.scalars(query.order_by(Item.id).limit(limit)))


def get_item(db: Session, project: Project, item_id: int) -> Item:
    item = db.get(Item, item_id)
    if item is None or item.project_id != project.id:
        raise NotFound(f"no item {item_id} in project {project.name!r}")
    return item


def counts_by_status(db: Session, project: Project) -> dict[str, Any]:
    rows = db.execute(
        select(Item.status, func.count()).where(Item.project_id == project.id).group_by(Item.status)
    )
    counts = {status: 0 for status in ITEM_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def judgments_of(db: Session, item: Item) -> list[tuple[Judgment, str]]:
    rows = db.execute(with_annotator().where(Judgment.item_id == item.id).order_by(Judgment.id))
    return [(j, name) for j, name in rows]


# How far the project list counts what waits for a person ("10,000+" beyond): an exact count reads an
# index entry per open item, 30-50 ms at 100,000 items on PostgreSQL and ten times that at a million.
WAITING_UP_TO = 10_000


def waiting_for(db: Session, user: User, project: Project) -> str:
    """Open items this user has not judged, skipped or leased: roughly what their queue still holds, as
    the project list shows it (a number, or "10,000+").

    The open items less the open ones among the user's, two counts from indexes: asking of every open
    item whether it is among the user's cost a probe per item of the project. The open items are counted
    only as far as the answer needs."""
    mine = (
        select(func.count(distinct(Assignment.item_id)))
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Assignment.project_id == project.id,
            Assignment.user_id == user.id,
            Assignment.status.in_(("submitted", "skipped", "leased")),
            Item.status == "open",
        )
    )
    taken = db.scalar(mine) or 0
    enough = WAITING_UP_TO + taken + 1
    open_items = select(Item.id).where(Item.project_id == project.id, Item.status == "open").limit(enough)
    found = db.scalar(select(func.count()).select_from(open_items.subquery())) or 0
    return f"{WAITING_UP_TO:,}+" if found == enough else str(found - taken)
