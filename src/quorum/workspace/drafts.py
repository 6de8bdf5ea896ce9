"""Drafts (the form as the person left it, with the active time so far) and the lease heartbeat."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from quorum.assignments.service import MAX_TIME_SPENT_MS, owned_assignment
from quorum.db.dialect import insert_unless_conflict
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, field_error
from quorum.models import Assignment, Draft, User

# A form's state is a few kilobytes; this bound keeps a runaway page from filling the table.
MAX_DRAFT_BYTES = 128 * 1024


def _check_active_ms(active_ms: int) -> None:
    if not 0 <= active_ms <= MAX_TIME_SPENT_MS:
        raise Invalid(
            "active_ms must be between 0 and 7 days",
            [field_error("active_ms", "out of range", at="body")],
        )


def _open_draft(db: Session, user: User, assignment_id: int) -> Assignment:
    """A leased assignment's draft is the answer in progress; a submitted one's is the form of its answer,
    kept for the edit page. A skipped or ended lease has no answer to keep."""
    assignment, _ = owned_assignment(db, user, assignment_id)
    if assignment.status not in ("leased", "submitted"):
        raise Conflict(f"assignment {assignment_id} was {assignment.status}; its draft is closed")
    return assignment


def save(db: Session, user: User, assignment_id: int, state: dict[str, Any], active_ms: int) -> Draft:
    """Keep the draft (a lease's also past its expiry: the page still holds the answer and a late submit
    may count). Last write wins: the page sends its whole state each time."""
    _check_active_ms(active_ms)
    if len(json.dumps(state, separators=(",", ":"))) > MAX_DRAFT_BYTES:
        raise Invalid(
            f"a draft is at most {MAX_DRAFT_BYTES // 1024} KiB",
            [field_error("state", "too large", at="body")],
        )
    _open_draft(db, user, assignment_id)
    now = utcnow()
    values = {"state": state, "active_ms": active_ms, "updated_at": now}
    updated = db.execute(update(Draft).where(Draft.assignment_id == assignment_id).values(**values))
    if getattr(updated, "rowcount", 0) == 0:
        # The first save of this assignment; a concurrent first save loses quietly and the next one wins.
        db.execute(insert_unless_conflict(db, Draft).values(assignment_id=assignment_id, **values))
    return Draft(assignment_id=assignment_id, **values)


def load(db: Session, user: User, assignment_id: int) -> Draft | None:
    """The draft of one's own assignment, whatever its status (the edit page restores a submitted one)."""
    owned_assignment(db, user, assignment_id, working=False)
    return db.get(Draft, assignment_id, populate_existing=True)


def heartbeat(db: Session, user: User, assignment_id: int) -> Assignment:
    """The person is working: the lease runs a full lease length from now, but never more than the
    project's ``max_lease_extension_seconds`` past its first expiry. An expired lease is not revived
    (someone else may hold the slot); its answer can still be submitted late."""
    assignment, project = owned_assignment(db, user, assignment_id)
    if assignment.status != "leased":
        raise Conflict(f"assignment {assignment_id} was {assignment.status}")
    now = utcnow()
    if assignment.expires_at <= now:
        raise Conflict("your lease expired; submit the answer and it counts if the slot is still free")
    bound = project.max_lease_extension_seconds
    if bound is not None:
        lease = timedelta(seconds=project.lease_seconds)
        ceiling = assignment.created_at + lease + timedelta(seconds=bound)
        wanted = min(now + lease, ceiling)
        if wanted > assignment.expires_at:
            assignment.expires_at = wanted
    return assignment
