"""Use cases for flags. Flagging also gives the item back (the assignment ends as skipped)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.assignments import service as assignments
from quorum.db.types import utcnow
from quorum.errors import Invalid, NotFound
from quorum.models import Flag, Item, Project, User


def flag(db: Session, user: User, assignment_id: int, reason: str) -> Flag:
    reason = reason.strip()
    if not reason:
        raise Invalid(
            "say what is wrong with the item",
            [{"loc": ["body", "reason"], "field": "reason", "msg": "required"}],
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
    return created


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
