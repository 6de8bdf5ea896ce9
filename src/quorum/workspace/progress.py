"""An annotator's progress in a project, computed by the server so it is the same after a reload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from quorum.assignments.queue import NOT_GOLD, OPEN
from quorum.db.types import utcnow
from quorum.errors import Invalid, field_error
from quorum.models import Assignment, Item, ItemPin, Judgment, Project, User

# Time zones run from UTC-12 to UTC+14.
MAX_OFFSET_MINUTES = 14 * 60


@dataclass(frozen=True)
class Progress:
    done_today: int
    done_total: int
    queue_left: int
    average_ms: int | None


def start_of_day(now: datetime, offset_minutes: int) -> datetime:
    """The start of the person's day (their clock is UTC plus ``offset_minutes``), in UTC."""
    if not -MAX_OFFSET_MINUTES <= offset_minutes <= MAX_OFFSET_MINUTES:
        raise Invalid(
            "tz_offset_minutes must be between -840 and 840",
            [field_error("tz_offset_minutes", "out of range", at="query")],
        )
    local = now + timedelta(minutes=offset_minutes)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(minutes=offset_minutes)


def progress(db: Session, user: User, project: Project, offset_minutes: int = 0) -> Progress:
    """Judgments today and in all, their mean time, and the items the queue could still give this person
    (open, not gold, never leased to them, pinned to nobody or to them, with room left). Two statements."""
    since = start_of_day(utcnow(), offset_minutes)
    today = func.sum(case((Judgment.created_at >= since, 1), else_=0), type_=Integer)
    done_today, done_total, average = db.execute(
        select(today, func.count(), func.avg(Judgment.time_spent_ms)).where(
            Judgment.project_id == project.id, Judgment.user_id == user.id
        )
    ).one()
    seen = exists().where(Assignment.item_id == Item.id, Assignment.user_id == user.id)
    pinned = exists().where(ItemPin.item_id == Item.id)
    pinned_to_me = exists().where(ItemPin.item_id == Item.id, ItemPin.user_id == user.id)
    target = func.coalesce(Item.overlap_target, project.overlap)
    left = db.scalar(
        select(func.count()).where(
            and_(
                Item.project_id == project.id,
                Item.status == OPEN,
                NOT_GOLD,
                ~seen,
                or_(~pinned, pinned_to_me),
                Item.judgment_count < target,
            )
        )
    )
    return Progress(
        done_today=int(done_today or 0),
        done_total=int(done_total or 0),
        queue_left=int(left or 0),
        average_ms=None if average is None else round(float(average)),
    )
