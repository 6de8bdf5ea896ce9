"""Use cases for review: which judgments need a reviewer, and recording verdicts. What the verdicts mean
for consensus and for annotator scores is ``quorum.reviews.decisions``."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from quorum import audit
from quorum.accounts.access import REVIEW, leased_items, require_project
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden, Invalid, NotFound, QuorumError, field_error
from quorum.judgments.repository import with_annotator
from quorum.models import Assignment, Item, Judgment, Project, Review, User
from quorum.models.item import REVIEW_REQUESTED_SQL, item_sql
from quorum.models.review import VERDICTS
from quorum.task_types import registry

SCAN = 500
MAX_TEXT = 2000


def sampled(judgment_id: int, rate: float) -> bool:
    """Whether a judgment falls in the review sample. A hash of its id rather than a coin: the same
    judgment is always in or out (every reviewer and every page load sees the same queue, and a test can
    reproduce it), and nothing needs to be written at submit time to remember the draw."""
    if rate <= 0.0:
        return False
    digest = hashlib.sha256(f"review:{judgment_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _low_confidence_items(db: Session, project: Project, item_ids: Iterable[int]) -> set[int]:
    if project.review_confidence is None:
        return set()
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item_id, answer in db.execute(
        select(Judgment.item_id, Judgment.answer)
        .where(Judgment.item_id.in_(set(item_ids)))
        .order_by(Judgment.id)
    ):
        answers[item_id].append(answer)
    return {
        item_id
        for item_id, votes in answers.items()
        if kind.consensus(votes, config).confidence < project.review_confidence
    }


def _requested_items(db: Session, item_ids: set[int]) -> set[int]:
    return set(db.scalars(select(Item.id).where(Item.id.in_(item_ids), item_sql(REVIEW_REQUESTED_SQL))))


def queue(db: Session, reviewer: User, project: Project, limit: int = 20) -> list[tuple[Judgment, str]]:
    """Judgments waiting for a reviewer, oldest first: sampled at the project's review rate, on an item
    whose consensus confidence is under ``review_confidence``, or on an item a manager sent to review;
    never reviewed yet, never the reviewer's own, never a gold item's (gold already scores those)."""
    any_requested = db.scalar(
        # As the partial index's predicate reads, so that SQLite looks among the few requested items only.
        select(Item.id).where(Item.project_id == project.id, item_sql(REVIEW_REQUESTED_SQL)).limit(1)
    )
    if project.review_rate <= 0.0 and project.review_confidence is None and any_requested is None:
        return []
    reviewed = select(Review.judgment_id).where(Review.project_id == project.id)
    working = select(Assignment.item_id).where(
        Assignment.user_id == reviewer.id,
        Assignment.project_id == project.id,
        Assignment.status == "leased",
        Assignment.expires_at > utcnow(),
    )
    found: list[tuple[Judgment, str]] = []
    after = 0
    while len(found) < limit:
        rows = db.execute(
            with_annotator()
            .where(
                Judgment.project_id == project.id,
                Judgment.id > after,
                Judgment.user_id != reviewer.id,
                Judgment.gold_score.is_(None),
                Judgment.id.not_in(reviewed),
                # Nor a peer's judgment of an item the reviewer is working on right now.
                Judgment.item_id.not_in(working),
            )
            .order_by(Judgment.id)
            .limit(SCAN)
        ).all()
        if not rows:
            break
        after = rows[-1][0].id
        unsure = _low_confidence_items(db, project, (j.item_id for j, _ in rows))
        requested = _requested_items(db, {j.item_id for j, _ in rows}) if any_requested else set()
        for j, name in rows:
            if j.item_id in unsure or j.item_id in requested or sampled(j.id, project.review_rate):
                found.append((j, name))
                if len(found) == limit:
                    break
    return found


# How far pages count what waits for review ("50+" beyond): counting further would scan every judgment.
COUNT_UP_TO = 50


def waiting_count(db: Session, reviewer: User, project: Project) -> str:
    """What waits for this reviewer, as pages show it: a number, or "50+"."""
    waiting = len(queue(db, reviewer, project, COUNT_UP_TO + 1))
    return f"{COUNT_UP_TO}+" if waiting > COUNT_UP_TO else str(waiting)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:MAX_TEXT] or None


def review(
    db: Session,
    reviewer: User,
    judgment_id: int,
    verdict: str,
    corrected_answer: Any = None,
    comment: str | None = None,
    reason: str | None = None,
) -> Review:
    judgment = db.get(Judgment, judgment_id)
    if judgment is None:
        raise NotFound(f"no judgment {judgment_id}")
    project = require_project(db, reviewer, judgment.project_id, REVIEW)
    if judgment.user_id == reviewer.id:
        raise Forbidden("a reviewer never reviews their own judgment")
    if leased_items(db, reviewer, [judgment.item_id]):
        raise Conflict("you are working on this item; submit or skip it before reviewing its judgments")
    if verdict not in VERDICTS:
        raise Invalid(
            f"verdict must be one of {', '.join(VERDICTS)}",
            [field_error("verdict", "unknown verdict", at="body")],
        )
    reason = _text(reason)
    if verdict == "reject" and reason is None:
        raise Invalid(
            "say why the judgment is rejected",
            [field_error("reason", "required to reject", at="body")],
        )
    answer: dict[str, Any] | None = None
    if verdict == "correct":
        answer = _corrected(project, db.get(Item, judgment.item_id), corrected_answer)
    elif corrected_answer is not None:
        raise Invalid(
            "a corrected answer goes with the verdict 'correct'",
            [field_error("corrected_answer", "only with 'correct'", at="body")],
        )
    earlier = db.scalar(
        select(Review.id).where(Review.judgment_id == judgment.id, Review.reviewer_id == reviewer.id)
    )
    if earlier is not None:
        raise Conflict(f"you already reviewed judgment {judgment.id}")
    created = Review(
        project_id=project.id,
        judgment_id=judgment.id,
        item_id=judgment.item_id,
        reviewer_id=reviewer.id,
        verdict=verdict,
        corrected_answer=answer,
        comment=_text(comment),
        reason=reason,
    )
    db.add(created)
    db.flush()
    audit.record(
        db,
        reviewer,
        "judgment.review",
        "judgment",
        judgment.id,
        project_id=project.id,
        data={"verdict": verdict, "review_id": created.id},
    )
    return created


def _corrected(project: Project, item: Item | None, raw: Any) -> dict[str, Any]:
    """The corrected answer, validated like a submitted one; errors are located under corrected_answer."""
    if item is None:
        raise NotFound("the judgment's item no longer exists")
    if raw is None:
        raise Invalid(
            "a correction needs the corrected answer",
            [field_error("corrected_answer", "required to correct", at="body")],
        )
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    try:
        parsed = kind.parse_answer(raw, kind.parse_payload(item.payload, config), config)
    except QuorumError as exc:
        details = [
            field_error(
                "corrected_answer" + str(d.get("field", "answer"))[len("answer") :],
                d.get("msg", exc.message),
                loc=["body", "corrected_answer", *list(d.get("loc", []))[1:]],
            )
            for d in (exc.details or [])
        ]
        message = exc.message.replace("invalid answer", "invalid corrected_answer", 1)
        message = message.replace(": answer", ": corrected_answer", 1)
        raise Invalid(message, details) from None
    answer: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return answer


def reviews_of(db: Session, item: Item) -> list[tuple[Review, str]]:
    rows = db.execute(
        select(Review, User.username)
        .join(User, User.id == Review.reviewer_id)
        .where(Review.item_id == item.id)
        .order_by(Review.id)
    )
    return [(r, name) for r, name in rows]


def list_reviews(
    db: Session, project: Project, *, after: int = 0, limit: int = 100
) -> list[tuple[Review, str, str]]:
    """Reviews by id with the reviewer's and the annotator's names."""
    annotator = aliased(User)
    rows = db.execute(
        select(Review, User.username, annotator.username)
        .join(User, User.id == Review.reviewer_id)
        .join(Judgment, Judgment.id == Review.judgment_id)
        .join(annotator, annotator.id == Judgment.user_id)
        .where(Review.project_id == project.id, Review.id > after)
        .order_by(Review.id)
        .limit(limit)
    )
    return [(r, reviewer, name) for r, reviewer, name in rows]
