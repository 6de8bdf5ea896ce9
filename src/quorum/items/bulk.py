"""Bulk actions on items from the items list: set priority, pin to annotators, send to review, archive,
delete. Each checks every id belongs to the project, acts on all of them or none, and leaves one audit
event naming the action and the items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.assignments.pins import set_pins
from quorum.errors import Invalid, NotFound, field_error
from quorum.models import Item, Project, User

ACTIONS = ("priority", "pin", "review", "archive", "delete")
MAX_ITEMS = 10_000
ARCHIVED = "archived"
# Only an open item leaves the queue by being archived; judged (complete) ones keep their status.
ARCHIVABLE = ("open", "awaiting", "flagged")


def _ids(db: Session, project: Project, item_ids: Sequence[int]) -> list[int]:
    ids = sorted(set(item_ids))
    if not ids:
        raise Invalid("choose at least one item", [field_error("ids", "empty", at="body")])
    if len(ids) > MAX_ITEMS:
        raise Invalid(
            f"at most {MAX_ITEMS} items at once", [field_error("ids", f"more than {MAX_ITEMS}", at="body")]
        )
    found = set(db.scalars(select(Item.id).where(Item.project_id == project.id, Item.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no item {missing[0]} in project {project.name!r}")
    return ids


def apply(
    db: Session,
    actor: User | None,
    project: Project,
    action: str,
    item_ids: Sequence[int],
    *,
    priority: float | None = None,
    usernames: Sequence[str] = (),
) -> int:
    """Does ``action`` to the items; how many it touched."""
    if action not in ACTIONS:
        raise Invalid(
            f"action must be one of {', '.join(ACTIONS)}",
            [field_error("action", "unknown action", at="body")],
        )
    ids = _ids(db, project, item_ids)
    data: dict[str, Any] = {"action": action, "count": len(ids), "ids": ids[:1000]}
    where = (Item.project_id == project.id, Item.id.in_(ids))
    if action == "priority":
        if priority is None or priority != priority or abs(priority) == float("inf"):
            raise Invalid(
                "give the new priority", [field_error("priority", "a number is required", at="body")]
            )
        db.execute(update(Item).where(*where).values(priority=priority))
        data["priority"] = priority
    elif action == "pin":
        for item_id in ids:
            set_pins(db, actor, project, item_id, list(usernames))
        data["usernames"] = sorted(set(usernames))
    elif action == "review":
        db.execute(update(Item).where(*where).values(review_requested=True))
    elif action == "archive":
        db.execute(update(Item).where(*where, Item.status.in_(ARCHIVABLE)).values(status=ARCHIVED))
    else:
        db.execute(delete(Item).where(*where))
    db.expire_all()
    audit.record(db, actor, f"items.bulk.{action}", "project", project.id, project_id=project.id, data=data)
    return len(ids)
