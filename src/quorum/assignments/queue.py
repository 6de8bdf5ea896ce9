"""Which item an annotator gets next, claimed without ever exceeding an item's overlap.

PostgreSQL: the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` (concurrent claimers move on to
other rows instead of waiting), then the live count is re-read in a fresh statement, which under READ
COMMITTED sees every claim committed before the lock was granted. SQLite: ``BEGIN IMMEDIATE`` makes the
whole claim single-writer, so the same query is enough.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.errors import Conflict
from quorum.models import Assignment, Item, Project, User

MAX_ATTEMPTS = 8


def live(now: datetime) -> ColumnElement[bool]:
    """An assignment that holds a slot: submitted, or leased and not yet expired."""
    return or_(
        Assignment.status == "submitted",
        and_(Assignment.status == "leased", Assignment.expires_at > now),
    )


def live_leases(db: Session, item_id: int, now: datetime, *, excluding: int | None = None) -> int:
    query = select(func.count()).where(
        Assignment.item_id == item_id, Assignment.status == "leased", Assignment.expires_at > now
    )
    if excluding is not None:
        query = query.where(Assignment.id != excluding)
    return db.scalar(query) or 0


def current_lease(db: Session, user: User, project: Project, now: datetime) -> Assignment | None:
    return db.scalar(
        select(Assignment)
        .where(
            Assignment.user_id == user.id,
            Assignment.project_id == project.id,
            Assignment.status == "leased",
            Assignment.expires_at > now,
        )
        .order_by(Assignment.id)
        .limit(1)
    )


def _candidate(db: Session, user: User, project: Project, now: datetime, tried: list[int]) -> Item | None:
    mine = exists().where(
        Assignment.item_id == Item.id,
        Assignment.user_id == user.id,
        or_(
            Assignment.status.in_(("submitted", "skipped")),
            and_(Assignment.status == "leased", Assignment.expires_at > now),
        ),
    )
    leased = (
        select(func.count())
        .where(Assignment.item_id == Item.id, Assignment.status == "leased", Assignment.expires_at > now)
        .correlate(Item)
        .scalar_subquery()
    )
    query = (
        select(Item)
        .where(
            Item.project_id == project.id,
            Item.status == "open",
            ~mine,
            Item.judgment_count + leased < project.overlap,
        )
        .order_by(Item.priority.desc(), Item.id)
        .limit(1)
    )
    if tried:
        query = query.where(Item.id.not_in(tried))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Item)
    return db.scalar(query)


def claim_next(db: Session, user: User, project: Project) -> Assignment | None:
    if project.status != "active":
        raise Conflict(f"project {project.name!r} is {project.status}; no work is handed out")
    now = utcnow()
    held = current_lease(db, user, project, now)
    if held is not None:
        # Asking again returns the lease already held: a reload never burns a second slot.
        return held
    tried: list[int] = []
    for _ in range(MAX_ATTEMPTS):
        item = _candidate(db, user, project, now, tried)
        if item is None:
            return None
        if item.judgment_count + live_leases(db, item.id, now) < project.overlap:
            assignment = Assignment(
                project_id=project.id,
                item_id=item.id,
                user_id=user.id,
                status="leased",
                expires_at=now + timedelta(seconds=project.lease_seconds),
            )
            db.add(assignment)
            db.flush()
            return assignment
        tried.append(item.id)
    return None
