"""Taking a verdict back: a reviewer may undo their own verdict for a short while after recording it
(a mis-key, the wrong judgment). The verdict is recorded at once, so exports and scores never wait on
the window; undoing deletes it and leaves an audit event, so the history keeps both."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import REVIEW, require_project
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden, NotFound
from quorum.models import Project, Review, User

# The page shows the undo bar this long; the server keeps the door open a little longer, so a click at
# the last moment of the bar still lands (slow network, a busy server).
SHOWN_SECONDS = 10
WINDOW = timedelta(seconds=30)


def within_window(review: Review, now: datetime | None = None) -> bool:
    return (now or utcnow()) - review.created_at <= WINDOW


def undo(db: Session, reviewer: User, review_id: int, *, project: Project | None = None) -> Review:
    """Deletes ``reviewer``'s own verdict ``review_id`` if it is recent enough; the judgment goes back to
    the review queue. Returns the deleted review (detached data still readable)."""
    review = db.get(Review, review_id)
    if review is None or (project is not None and review.project_id != project.id):
        raise NotFound(f"no review {review_id}")
    require_project(db, reviewer, review.project_id, REVIEW)
    if review.reviewer_id != reviewer.id:
        raise Forbidden("only the reviewer who recorded a verdict may undo it")
    if not within_window(review):
        raise Conflict(
            f"review {review_id} can no longer be undone (the window is {int(WINDOW.total_seconds())} s); "
            "review the judgment again instead"
        )
    audit.record(
        db,
        reviewer,
        "judgment.review.undo",
        "judgment",
        review.judgment_id,
        project_id=review.project_id,
        data={"verdict": review.verdict, "review_id": review.id},
    )
    db.delete(review)
    db.flush()
    return review
