"""Managers steer the queue: an item's priority decides when it is handed out (higher first)."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.errors import Invalid, NotFound, field_error
from quorum.models import Item, Project, User

MAX_PRIORITY = 1e9


def set_priority(db: Session, actor: User | None, project: Project, item_id: int, priority: float) -> Item:
    if not math.isfinite(priority) or abs(priority) > MAX_PRIORITY:
        raise Invalid(
            f"priority must be a number between -{MAX_PRIORITY:g} and {MAX_PRIORITY:g}",
            [field_error("priority", "out of range", at="body")],
        )
    item = db.scalar(select(Item).where(Item.id == item_id, Item.project_id == project.id))
    if item is None:
        raise NotFound(f"no item {item_id} in project {project.name!r}")
    before = item.priority
    item.priority = priority
    audit.record(
        db,
        actor,
        "item.priority",
        "item",
        item.id,
        project_id=project.id,
        data={"from": before, "to": priority},
    )
    return item
