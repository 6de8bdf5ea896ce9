"""Which item an annotator gets next, claimed without ever exceeding an item's overlap.

The rules are ``core/policy.py``; this module is their SQL. PostgreSQL: claims by one annotator in one
project are serialised by a transaction-scoped advisory lock (a double click cannot take two leases), the
candidate row is locked with ``FOR UPDATE SKIP LOCKED`` (concurrent claimers move on to other rows instead
of waiting), then the live count is re-read in a fresh statement, which under READ COMMITTED sees every
claim committed before the row lock was granted. SQLite: ``BEGIN IMMEDIATE`` makes the whole claim
single-writer, so the same query is enough.

While an annotator takes a project's qualification (``assignments/qualification.py``) every claim is a
gold turn with no fallback to ordinary work; a claim that could not finish the attempt with the gold
left is refused with 409, and a failed annotator is refused with 403 (``reason: qualification_failed``).

The scan follows ``ix_items_queue`` (open items only, priority DESC, id), so its cost depends on the
open items ahead of the first eligible one, not on how many items the project has completed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from quorum.assignments import qualification
from quorum.assignments.quality_gate import gold_record
from quorum.assignments.rules import policy_of
from quorum.core.policy import AnnotatorState, Reason, annotator_reason, is_gold_turn, qualifying
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden
from quorum.models import Assignment, Item, ItemPin, Project, Qualification, User
from quorum.models.item import GOLD_SQL

MAX_ATTEMPTS = 8
# A literal, not a bound parameter: the planner must see it to use the partial index on open items.
OPEN: ColumnElement[str] = literal_column("'open'")
# The predicate of the partial index ``ix_items_gold`` (a JSON null means "no gold"), and its negation.
IS_GOLD = text(f"({GOLD_SQL})")
NOT_GOLD = text("(gold IS NULL OR gold = 'null')")


def live_leases(db: Session, item_id: int, now: datetime, *, excluding: int | None = None) -> int:
    query = select(func.count()).where(
        Assignment.item_id == item_id, Assignment.status == "leased", Assignment.expires_at > now
    )
    if excluding is not None:
        query = query.where(Assignment.id != excluding)
    return db.scalar(query) or 0


def held_leases(db: Session, user: User, project: Project, now: datetime) -> list[Assignment]:
    return list(
        db.scalars(
            select(Assignment)
            .where(
                Assignment.user_id == user.id,
                Assignment.project_id == project.id,
                Assignment.status == "leased",
                Assignment.expires_at > now,
            )
            .order_by(Assignment.id)
        )
    )


@cache
def _candidate_query(*, gold: bool, excluding: bool, lock: bool) -> Select[Item]:
    """The claim's scan, built once per shape with bound parameters ``uid``, ``pid``, ``now``,
    ``overlap`` (and ``tried``): building it afresh cost about as much CPU as running it."""
    uid = bindparam("uid", type_=Integer)
    seen = exists().where(Assignment.item_id == Item.id, Assignment.user_id == uid)
    pinned = exists().where(ItemPin.item_id == Item.id)
    pinned_to_me = exists().where(ItemPin.item_id == Item.id, ItemPin.user_id == uid)
    leased = (
        select(func.count())
        .where(
            Assignment.item_id == Item.id,
            Assignment.status == "leased",
            Assignment.expires_at > bindparam("now", type_=Assignment.expires_at.type),
        )
        .correlate(Item)
        .scalar_subquery()
    )
    # Gold items take no overlap slot: everyone may be scored on them.
    target = func.coalesce(Item.overlap_target, bindparam("overlap", type_=Integer))
    room = IS_GOLD if gold else and_(NOT_GOLD, Item.judgment_count + leased < target)
    query = (
        select(Item)
        .where(
            Item.project_id == bindparam("pid", type_=Integer),
            Item.status == OPEN,
            ~seen,
            or_(~pinned, pinned_to_me),
            room,
        )
        .order_by(Item.priority.desc(), Item.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )
    if excluding:
        query = query.where(Item.id.not_in(bindparam("tried", expanding=True)))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Item)
    return query


def _candidate(
    db: Session, user: User, project: Project, now: datetime, tried: list[int], *, gold: bool
) -> Item | None:
    query = _candidate_query(
        gold=gold, excluding=bool(tried), lock=db.get_bind().dialect.name == "postgresql"
    )
    params: dict[str, Any] = {"uid": user.id, "pid": project.id, "now": now, "overlap": project.overlap}
    if tried:
        params["tried"] = tried
    return db.scalar(query, params)


def _check_annotator(
    project: Project, state: AnnotatorState, reason: Reason, qual: Qualification | None = None
) -> None:
    if reason is Reason.PROJECT_INACTIVE:
        raise Conflict(f"project {project.name!r} is {project.status}; no work is handed out")
    if reason is Reason.EXPERTISE:
        needed = ", ".join(f"{tag} >= {level}" for tag, level in sorted(project.required_expertise.items()))
        raise Forbidden(f"project {project.name!r} needs expertise {needed}", {"reason": reason.value})
    if reason is Reason.QUALIFICATION_FAILED:
        assert qual is not None
        score = qual.score or 0.0
        raise Forbidden(
            f"You did not pass the qualification for project {project.name!r} (score {score:.0%} < "
            f"{project.qualification_threshold:.0%}); no more work here until a manager resets it",
            {
                "reason": reason.value,
                "score": score,
                "threshold": project.qualification_threshold,
                "attempt": qual.attempt,
            },
        )
    if reason is Reason.QUALITY_GATE:
        assert state.gold_accuracy is not None and project.min_gold_accuracy is not None
        raise Forbidden(
            f"your accuracy on check items in project {project.name!r} is {state.gold_accuracy:.0%} after "
            f"{state.gold_judged}, under the {project.min_gold_accuracy:.0%} it requires; a manager can tell you more",
            {"reason": reason.value},
        )


def claim_next(db: Session, user: User, project: Project, *, draw: float = 1.0) -> Assignment | None:
    """Lease the next item to ``user``. ``draw`` (uniform in [0, 1)) decides whether this is a gold turn;
    the default never is."""
    leased = claim_lease(db, user, project, draw=draw)
    return None if leased is None else leased[0]


def claim_lease(
    db: Session, user: User, project: Project, *, draw: float = 1.0
) -> tuple[Assignment, Item | None] | None:
    """``claim_next`` with the item it leased, so the caller need not load it again (the session's
    identity map holds objects weakly); the item is None when an already held lease is returned."""
    if db.get_bind().dialect.name == "postgresql":
        # One claim at a time per annotator and project; other annotators are not held up.
        db.execute(text("SELECT pg_advisory_xact_lock(:u, :p)"), {"u": user.id, "p": project.id})
    now = utcnow()
    policy = policy_of(project)
    held = held_leases(db, user, project, now)
    # The gold record is read only where a quality gate is set: most projects pay nothing for it.
    judged, accuracy = gold_record(db, user, project) if policy.min_gold_accuracy is not None else (0, None)
    # Likewise the qualification: read only where the project requires one.
    qual = qualification.current(db, user, project) if policy.qualification_size else None
    state = AnnotatorState(
        expertise=dict(user.expertise or {}),
        live_leases=len(held),
        gold_judged=judged,
        gold_accuracy=accuracy,
        qualification=qual.status if qual else "passed",
        qualification_judged=qual.judged if qual else 0,
    )
    reason = annotator_reason(policy, state)
    _check_annotator(project, state, reason, qual)
    if reason is Reason.LEASE_LIMIT:
        # Asking again returns a lease already held: a reload never burns another slot.
        return held[0], None
    if qualifying(policy, state):
        needed = (project.qualification_size or 0) - state.qualification_judged - len(held)
        available = qualification.available_gold(db, user, project)
        if available < needed:
            raise Conflict(
                f"not enough gold items for the qualification in project {project.name!r}: you need "
                f"{needed} more and {available} are left; tell a manager",
                {"reason": "qualification_short", "needed": needed, "available": available},
            )
        item = _candidate(db, user, project, now, [], gold=True)
        return _lease(db, user, project, item, now) if item is not None else None
    if is_gold_turn(policy, draw):
        item = _candidate(db, user, project, now, [], gold=True)
        if item is not None:
            return _lease(db, user, project, item, now)
    tried: list[int] = []
    for _ in range(MAX_ATTEMPTS):
        item = _candidate(db, user, project, now, tried, gold=False)
        if item is None:
            return None
        if item.judgment_count + live_leases(db, item.id, now) < target_of(project, item):
            return _lease(db, user, project, item, now)
        tried.append(item.id)
    return None


def target_of(project: Project, item: Item) -> int:
    """The item's overlap target: its own once adaptive overlap raised it, else the project's."""
    return item.overlap_target if item.overlap_target is not None else project.overlap


def _lease(db: Session, user: User, project: Project, item: Item, now: datetime) -> tuple[Assignment, Item]:
    assignment = Assignment(
        project_id=project.id,
        item_id=item.id,
        user_id=user.id,
        status="leased",
        expires_at=now + timedelta(seconds=project.lease_seconds),
    )
    db.add(assignment)
    db.flush()
    return assignment, item
