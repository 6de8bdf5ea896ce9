"""Use cases for flags. Flagging also gives the item back (the assignment ends as skipped).

A project's ``flag_threshold`` K (none by default: flags never remove an item) takes an item out of the
queue: when K different people hold open flags on an open item, its status becomes ``flagged`` and the
claim (which serves open items only) passes it by. Resolving a flag of a flagged item returns it to
``open`` once fewer than K people still hold open flags on it; an item that completed meanwhile (a lease
taken before it left the queue was still submitted) stays complete. On PostgreSQL the item row is locked
while the flaggers are counted, so concurrent flags cannot both miss the threshold.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.assignments import service as assignments
from quorum.assignments.rules import policy_of
from quorum.core.policy import flagged_out
from quorum.db.types import utcnow
from quorum.errors import Invalid, NotFound, field_error
from quorum.models import Flag, Item, Project, User


def flag(db: Session, user: User, assignment_id: int, reason: str) -> Flag:
    reason = reason.strip()
    if not reason:
        raise Invalid(
            "say what is wrong with the item",
            [field_error("reason", "required", at="body")],
        )
    assignment = assignments.skip(db, user, assignment_id, f"flagged: {reason}")
    created = Flag(
        project_id=assignment.project_id, item_id=assignment.item_id, user_id=user.id, reason=reason[:2000]
    )
    db.add(created)
    db.flush()
    audit.record(
        db,
        user,
        "item.flag",
        "item",
        assignment.item_id,
        project_id=assignment.project_id,
        data={"reason": reason[:200]},
    )
    project = db.get(Project, assignment.project_id)
    if project is None:
        raise NotFound(f"no project {assignment.project_id}")
    if project.flag_threshold is not None:
        item = assignments.lock_item(db, assignment.item_id)
        if item.status == "open" and flagged_out(policy_of(project), flaggers(db, item.id)):
            item.status = "flagged"
            audit.record(
                db,
                None,
                "item.flagged_out",
                "item",
                item.id,
                project_id=project.id,
                data={"flaggers": project.flag_threshold},
            )
    return created


def flaggers(db: Session, item_id: int) -> int:
    """How many different people hold open flags on the item."""
    return (
        db.scalar(
            select(func.count(func.distinct(Flag.user_id))).where(
                Flag.item_id == item_id, Flag.resolved_at.is_(None)
            )
        )
        or 0
    )


def open_flags(db: Session, project: Project) -> list[tuple[Flag, Item, str]]:
    rows = db.execute(
        select(Flag, Item, User.username)
        .join(Item, Item.id == Flag.item_id)
        .join(User, User.id == Flag.user_id)
        .where(Flag.project_id == project.id, Flag.resolved_at.is_(None))
        .order_by(Flag.id)
    )
    return [(f, i, name) for f, i, name in rows]


def resolve(db: Session, actor: User, project: Project, flag_id: int, resolution: str) -> Flag:
    found = db.get(Flag, flag_id)
    if found is None or found.project_id != project.id:
        raise NotFound(f"no flag {flag_id} in project {project.name!r}")
    found.resolved_at = utcnow()
    found.resolved_by_id = actor.id
    found.resolution = resolution.strip()[:2000] or "resolved"
    db.flush()
    item = assignments.lock_item(db, found.item_id)
    if item.status == "flagged" and not flagged_out(policy_of(project), flaggers(db, item.id)):
        item.status = "open"
    audit.record(
        db,
        actor,
        "flag.resolve",
        "flag",
        found.id,
        project_id=project.id,
        data={"resolution": found.resolution},
    )
    return found


def flags_of(db: Session, item: Item) -> list[tuple[Flag, str]]:
    rows = db.execute(
        select(Flag, User.username)
        .join(User, User.id == Flag.user_id)
        .where(Flag.item_id == item.id)
        .order_by(Flag.id)
    )
    return [(f, name) for f, name in rows]
