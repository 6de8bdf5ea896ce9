"""Which item an annotator gets next, claimed without ever exceeding an item's overlap.

The rules are ``core/policy.py``; this module is their SQL. PostgreSQL: claims by one annotator in one
project are serialised by a transaction-scoped advisory lock (a double click cannot take two leases),
which the scan takes before reading a row; the candidate row is locked with ``FOR UPDATE SKIP LOCKED``
(concurrent claimers move on to other rows instead of waiting); then the lease's INSERT re-counts, in its
own statement, the item's live leases and the annotator's: under READ COMMITTED it sees every claim
committed before both locks were granted. SQLite: ``BEGIN IMMEDIATE`` makes the whole claim
single-writer, so the same statements are enough.

While an annotator takes a project's qualification (``assignments/qualification.py``) every claim is a
gold turn with no fallback to ordinary work; a claim that could not finish the attempt with the gold
left is refused with 409, and a failed annotator is refused with 403 (``reason: qualification_failed``).

The scan follows ``ix_items_queue`` (open items only, priority DESC, id), so its cost depends on the
open items ahead of the first eligible one, not on how many items the project has completed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from quorum.accounts.access import require_working
from quorum.assignments import qualification
from quorum.assignments.quality_gate import gold_record
from quorum.assignments.rules import policy_of
from quorum.core import assistance
from quorum.core.policy import AnnotatorState, Reason, annotator_reason, is_gold_turn, qualifying
from quorum.db.dialect import advisory_lock, advisory_lock_filter, is_postgresql
from quorum.db.direct import Direct
from quorum.db.loaded import Shape
from quorum.db.types import JSONType, utcnow
from quorum.errors import Conflict, Forbidden
from quorum.models import Assignment, Item, ItemPin, Project, Qualification, User
from quorum.models.item import GOLD_SQL

MAX_ATTEMPTS = 8
ORDER_SEEDS = 2**31  # fits a 32-bit INTEGER on both databases
# A literal, not a bound parameter: the planner must see it to use the partial index on open items.
OPEN: ColumnElement[str] = literal_column("'open'")
ONE: ColumnElement[int] = literal_column("1", Integer)
# The predicate of the partial index ``ix_items_gold`` (a JSON null means "no gold"), and its negation.
IS_GOLD = text(f"({GOLD_SQL})")
NOT_GOLD = text("(gold IS NULL OR gold = 'null')")


def end_leases(db: Session, user: User, *, project_id: int | None = None) -> int:
    """Expire ``user``'s live leases (in one project, or everywhere), so their slots go back to the pool
    now rather than when the leases run out: a removed member or a deactivated account can no longer
    hold work. Returns how many ended."""
    now = utcnow()
    where = [Assignment.user_id == user.id, Assignment.status == "leased", Assignment.expires_at > now]
    if project_id is not None:
        where.append(Assignment.project_id == project_id)
    result = db.execute(
        update(Assignment).where(*where).values(expires_at=now).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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


# PostgreSQL runs this uncorrelated EXISTS once, as a one-time filter, before scanning a single item.
CLAIM_LOCK = advisory_lock_filter("uid", "pid")


# The item columns the loop never reads, left out of every item it loads: the console's copy of the
# payload's text (which doubles the bytes) and the candidates' provenance (the exports' and the models'
# ranking).
UNSERVED_ITEM_COLUMNS = ("search_text", "candidate_provenance")

# The item a claim's scan reads.
CANDIDATE = Shape((Item, UNSERVED_ITEM_COLUMNS))


@cache
def _candidate_query(*, gold: bool, excluding: bool, lock: bool, claim_lock: bool) -> Select[Any]:
    """The claim's scan (``CANDIDATE``), built once per shape with bound parameters ``uid``, ``pid``,
    ``now``, ``overlap`` (and ``tried``): building it afresh cost about as much CPU as running it. With
    ``claim_lock`` it first takes the annotator's claim lock (see ``claim_lease``)."""
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
        select(*CANDIDATE.columns)
        .where(
            Item.project_id == bindparam("pid", type_=Integer),
            Item.status == OPEN,
            ~seen,
            or_(~pinned, pinned_to_me),
            room,
        )
        .order_by(Item.priority.desc(), Item.id)
        # A literal: under a bound LIMIT PostgreSQL's generic plan assumes many rows, so it was never
        # chosen and the scan was planned on every claim (1.5 ms a claim here; 0.3-0.4 ms on its plan).
        .limit(ONE)
    )
    if excluding:
        query = query.where(Item.id.not_in(bindparam("tried", expanding=True)))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Item)
    if claim_lock:
        query = query.where(CLAIM_LOCK)
    return query


def _candidate(
    db: Session, user: User, project: Project, now: datetime, tried: list[int], *, gold: bool, locked: bool
) -> Item | None:
    """The first eligible item; ``locked``: the claim lock is held already, else (PostgreSQL) this
    statement takes it."""
    postgresql = is_postgresql(db)
    shape = {"gold": gold, "lock": postgresql, "claim_lock": postgresql and not locked}
    params: dict[str, Any] = {"uid": user.id, "pid": project.id, "now": now, "overlap": project.overlap}
    if tried:
        # Only after a refused lease: the expanding list of tried ids is rendered per call.
        params["tried"] = tried
        row: Any = db.execute(_candidate_query(excluding=True, **shape), params).first()
    else:
        row = _candidate_scan(**shape).first(db, params)
    return None if row is None else CANDIDATE.load(db, row)[0]


@cache
def _candidate_scan(*, gold: bool, lock: bool, claim_lock: bool) -> Direct:
    return Direct(_candidate_query(gold=gold, excluding=False, lock=lock, claim_lock=claim_lock))


def _check_annotator(
    project: Project, state: AnnotatorState, reason: Reason, qual: Qualification | None = None
) -> None:
    if reason is Reason.PROJECT_INACTIVE:
        require_working(project)
    if reason is Reason.EXPERTISE:
        needed = ", ".join(f"{tag} >= {level}" for tag, level in sorted(project.required_expertise.items()))
        raise Forbidden(f"project {project.name!r} needs expertise {needed}", {"reason": reason.value})
    if reason is Reason.QUALIFICATION_FAILED:
        if qual is None:
            raise RuntimeError("a failed qualification without its qualification row")
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
        if state.gold_accuracy is None or project.min_gold_accuracy is None:
            raise RuntimeError("the quality gate stopped an annotator without a gold accuracy")
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
    identity map holds objects weakly); the item is None when an already held lease is returned.

    The annotator's held leases are not read up front: the lease's INSERT re-counts them (and the item's
    live leases) itself, and only a refused INSERT, or an empty queue, reads them. On PostgreSQL the
    claim lock (one claim at a time per annotator and project; other annotators are not held up) is
    taken by the scan itself, so a claim costs two statements where reading first cost five. The scan's
    snapshot may then predate a claim by the same annotator that committed while it waited for the
    lock; the INSERT, whose snapshot is newer than the lock, refuses an item that annotator holds."""
    policy = policy_of(project)
    postgresql = is_postgresql(db)
    locked = not postgresql  # SQLite: BEGIN IMMEDIATE made this transaction the only writer
    if postgresql and policy.qualification_size:
        # A qualification attempt counts the leases held: there the lock comes first, on its own.
        advisory_lock(db, user.id, project.id)
        locked = True
    now = utcnow()
    # The gold record is read only where a quality gate is set: most projects pay nothing for it.
    judged, accuracy = gold_record(db, user, project) if policy.min_gold_accuracy is not None else (0, None)
    # Likewise the qualification, and there the held leases too: they count towards the attempt.
    qual = qualification.current(db, user, project) if policy.qualification_size else None
    held = held_leases(db, user, project, now) if qual is not None else None
    state = AnnotatorState(
        expertise=dict(user.expertise or {}),
        live_leases=len(held) if held is not None else 0,
        gold_judged=judged,
        gold_accuracy=accuracy,
        qualification=qual.status if qual else "passed",
        qualification_judged=qual.judged if qual else 0,
    )
    reason = annotator_reason(policy, state)
    _check_annotator(project, state, reason, qual)
    if reason is Reason.LEASE_LIMIT:
        if held is None:
            raise RuntimeError("the lease limit was reached without reading the leases held")
        # Asking again returns a lease already held: a reload never burns another slot.
        return held[0], None
    if qualifying(policy, state):
        if held is None:
            raise RuntimeError("a qualification claim without reading the leases held")
        needed = (project.qualification_size or 0) - state.qualification_judged - len(held)
        available = qualification.available_gold(db, user, project)
        if available < needed:
            raise Conflict(
                f"not enough gold items for the qualification in project {project.name!r}: you need "
                f"{needed} more and {available} are left; tell a manager",
                {"reason": "qualification_short", "needed": needed, "available": available},
            )
        item = _candidate(db, user, project, now, [], gold=True, locked=locked)
        return _lease_or_held(db, user, project, item, now)
    if is_gold_turn(policy, draw):
        item = _candidate(db, user, project, now, [], gold=True, locked=locked)
        locked = True
        # Refused only in a race with the annotator's own other claim: then ordinary work is next.
        leased = _lease_or_held(db, user, project, item, now) if item is not None else None
        if leased is not None:
            return leased
    tried: list[int] = []
    for _ in range(MAX_ATTEMPTS):
        item = _candidate(db, user, project, now, tried, gold=False, locked=locked)
        locked = True
        leased = _lease_or_held(db, user, project, item, now)
        if leased is not None or item is None:
            return leased
        tried.append(item.id)
    return None


def target_of(project: Project, item: Item) -> int:
    """The item's overlap target: its own once adaptive overlap raised it, else the project's."""
    return item.overlap_target if item.overlap_target is not None else project.overlap


def _lease_or_held(
    db: Session, user: User, project: Project, item: Item | None, now: datetime
) -> tuple[Assignment, Item | None] | None:
    """Lease ``item``, or, where the annotator already holds as many leases as the project allows, the
    first of them. None: the queue had nothing (``item`` None) or the item filled up meanwhile."""
    if item is not None:
        assignment = _lease(db, user, project, item, now)
        if assignment is not None:
            return assignment, item
    held = held_leases(db, user, project, now)
    if len(held) >= project.max_leases:
        return held[0], None
    return None


@cache
def _lease_insert(*, gold: bool) -> Direct:
    """The lease's INSERT, guarded by counts taken in its own statement: under READ COMMITTED that
    snapshot is newer than the candidate's row lock and the claim lock, so it sees every lease committed
    before them (the item's, and the annotator's own on this item or in this project)."""
    now = bindparam("now", type_=Assignment.expires_at.type)
    live = and_(Assignment.status == "leased", Assignment.expires_at > now)
    held = select(func.count()).where(
        Assignment.user_id == bindparam("uid", type_=Integer),
        Assignment.project_id == bindparam("pid", type_=Integer),
        live,
    )
    mine = exists().where(
        Assignment.item_id == bindparam("iid", type_=Integer),
        Assignment.user_id == bindparam("uid", type_=Integer),
    )
    guard = [held.scalar_subquery() < bindparam("max_leases", type_=Integer), ~mine]
    if not gold:
        # Gold items take no overlap slot; others need room under the target, re-counted here.
        leased = select(func.count()).where(Assignment.item_id == bindparam("iid", type_=Integer), live)
        guard.append(leased.scalar_subquery() < bindparam("room", type_=Integer))
    row = select(
        bindparam("pid", type_=Integer),
        bindparam("iid", type_=Integer),
        bindparam("uid", type_=Integer),
        literal_column("'leased'"),
        bindparam("expires", type_=Assignment.expires_at.type),
        now,
        bindparam("seed", type_=Integer),
        bindparam("assistance", type_=JSONType),
    ).where(*guard)
    table = cast(Table, Assignment.__table__)
    columns = [
        table.c.project_id,
        table.c.item_id,
        table.c.user_id,
        table.c.status,
        table.c.expires_at,
        table.c.created_at,
        table.c.order_seed,
        table.c.assistance,
    ]
    # A Core statement returning the whole row: the ORM's INSERT ... RETURNING of an entity cost a
    # quarter of a claim's CPU; ``LEASE`` makes the object from the row instead.
    return Direct(insert(table).from_select(columns, row).returning(*LEASE.columns))


LEASE = Shape(Assignment)


def _lease(db: Session, user: User, project: Project, item: Item, now: datetime) -> Assignment | None:
    """The new lease, or None when the item or the annotator's lease limit filled up meanwhile."""
    # A JSON null loads as None: no gold.
    gold = item.gold is not None
    params: dict[str, Any] = {
        "pid": project.id,
        "iid": item.id,
        "uid": user.id,
        "now": now,
        "expires": now + timedelta(seconds=project.lease_seconds),
        "max_leases": project.max_leases,
        # Not a secret, only a coin: the order this lease shows the item's candidates in.
        "seed": random.randrange(ORDER_SEEDS),
        # Which assistance this lease shows and which it withholds: the randomised control.
        "assistance": assistance.draw(project, gold=gold),
    }
    if not gold:
        params["room"] = target_of(project, item) - item.judgment_count
    row = _lease_insert(gold=gold).first(db, params)
    return None if row is None else LEASE.load(db, row)[0]
