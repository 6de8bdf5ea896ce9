"""Use cases of the annotator loop: next, submit, skip."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from quorum import audit
from quorum.accounts.access import ANNOTATE, check_role, require_working
from quorum.accounts.service import (
    TOKEN_COLUMNS,
    BearerToken,
    member_project,
    token_user,
    usable_token,
    user_for_token,
)
from quorum.assignments import overlap, recording
from quorum.assignments.queue import UNSERVED_ITEM_COLUMNS, claim_lease, live_leases, target_of
from quorum.assignments.rules import policy_of
from quorum.core.critique_comments import annotator_metadata
from quorum.core.policy import next_target
from quorum.critiques import serving as critique_serving
from quorum.db.dialect import generic_plans, is_postgresql, lock_for_update
from quorum.db.direct import Direct
from quorum.db.loaded import Shape
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from quorum.judges import routing as judge_routing
from quorum.judgments.repository import with_annotator
from quorum.models import ActiveSetting, ApiToken, Assignment, Item, Judgment, Membership, Project, User
from quorum.reward import hook as reward_hook
from quorum.suggestions import serving as suggestion_serving
from quorum.task_types import registry
from quorum.task_types.base import TaskType

MAX_TIME_SPENT_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Submitted:
    judgment: Judgment
    replayed: bool


@dataclass(frozen=True)
class Claimed:
    assignment: Assignment
    item: Item
    project: Project


def claim(db: Session, who: User | BearerToken, project_ref: int | str) -> Claimed | None:
    """The next lease with its item and project: the caller renders all three without reloading any
    (the session's identity map holds objects weakly, so a dropped reference costs a round trip). A
    token not yet checked is checked in the project's read. The unit of work runs on generic plans
    (``db.dialect.generic_plans``), set before its first statement so that one is planned once too."""
    generic_plans(db)
    user, project = member_project(db, who, project_ref, ANNOTATE)
    # Not a secret, only a coin: whether this claim is a gold turn.
    leased = claim_lease(db, user, project, draw=random.random())
    if leased is None:
        return None
    assignment, item = leased
    item = item or db.get(Item, assignment.item_id)
    if item is None:
        raise NotFound(f"no item {assignment.item_id}")
    return Claimed(assignment, item, project)


def display_order(kind: TaskType[Any, Any, Any], item: Item, assignment: Assignment) -> list[int] | None:
    """The candidate index at each screen position of this lease (None: shown as stored)."""
    return kind.display_order(item.payload, assignment.order_seed)


def annotator_view(project: Project, item: Item, assignment: Assignment) -> dict[str, Any]:
    """What an annotator sees of an item: never the gold answer, never model provenance, and the
    candidates in the lease's own order (``display_order``), which the answer's positions refer to."""
    kind = registry.get(project.task_type)
    order = display_order(kind, item, assignment)
    shown = item.payload if order is None else kind.arrange(item.payload, order)
    return {
        "id": item.id,
        "external_id": item.external_id,
        "payload": kind.public_payload(shown),
        # Planted flaws (``metadata.inserted_flaws``) measure annotators: they never see them.
        "metadata": annotator_metadata(item.meta),
        "display_order": order,
    }


def _may_work(user: User, assignment: Assignment, project: Project, role: str | None) -> None:
    """Owning the lease is not enough: the owner must still be a member of an active project (the
    membership row comes with the assignment's own query, so this costs no round trip)."""
    if assignment.user_id != user.id:
        raise Forbidden(f"assignment {assignment.id} belongs to someone else")
    if role is None and not user.is_admin:
        raise Forbidden(f"you are no longer a member of project {project.name!r}")
    check_role(user, project, role, ANNOTATE)
    require_working(project)


T = TypeVar("T", bound=Select[*tuple[Any, ...]])


def _with_owner_role(query: T) -> T:
    """``query`` over ``Assignment`` joined to its project and to its owner's membership there (none: the
    owner is no longer a member), so submit, skip and flag check the role in the same round trip."""
    return query.join(Project, Project.id == Assignment.project_id).outerjoin(
        Membership,
        and_(Membership.project_id == Assignment.project_id, Membership.user_id == Assignment.user_id),
    )


@cache
def _assignment_query(*, lock: bool) -> Select[Assignment, Project, str]:
    """The assignment, its project and its owner's role there, built once with bound parameter ``aid``."""
    query = (
        _with_owner_role(select(Assignment, Project, Membership.role))
        .where(Assignment.id == bindparam("aid", type_=Integer))
        .execution_options(populate_existing=True)
    )
    if lock:
        # Serialises concurrent submits of one assignment, so a repeated key sees the first judgment.
        query = query.with_for_update(of=[Assignment])
    return query


def _own_assignment(db: Session, user: User, assignment_id: int) -> tuple[Assignment, Project]:
    query = _assignment_query(lock=is_postgresql(db))
    found = db.execute(query, {"aid": assignment_id}).first()
    if found is None:
        raise NotFound(f"no assignment {assignment_id}")
    assignment, project, role = found
    _may_work(user, assignment, project, role)
    return assignment, project


def owned_assignment(
    db: Session, user: User, assignment_id: int, *, working: bool = True
) -> tuple[Assignment, Project]:
    """One's own assignment and its project, as submit checks them (``working=False``: also in a paused
    project, for reading back one's own draft)."""
    if working:
        return _own_assignment(db, user, assignment_id)
    found = db.execute(_assignment_query(lock=False), {"aid": assignment_id}).first()
    if found is None:
        raise NotFound(f"no assignment {assignment_id}")
    assignment, project, role = found
    if assignment.user_id != user.id:
        raise Forbidden(f"assignment {assignment_id} belongs to someone else")
    if role is None and not user.is_admin:
        raise Forbidden(f"you are no longer a member of project {project.name!r}")
    return assignment, project


def _submission_shape(*, with_key: bool, by_token: bool) -> Shape:
    """The assignment, its project, item and owner's role, the project's ``retrain_every`` (the reward
    hook's setting) and the judgment with this key; ``by_token``: the caller's token row first
    (``TOKEN_COLUMNS``)."""
    parts: tuple[Any, ...] = (
        Assignment,
        Project,
        (Item, UNSERVED_ITEM_COLUMNS),
        Membership.role,
        ActiveSetting.retrain_every,
    )
    return Shape(*(TOKEN_COLUMNS if by_token else ()), *parts, *((Judgment,) if with_key else ()))


@cache
def _submission_query(*, with_key: bool, lock: bool, by_token: bool = False) -> tuple[Shape, Direct]:
    """Built and compiled once per shape (``_submission_shape``) with bound parameters ``aid`` (and
    ``uid``, ``key``). ``by_token``: joined on ``usable_token`` (``token_hash``, ``now``): no row for a
    token that check refuses, so nothing is locked for one."""
    shape = _submission_shape(with_key=with_key, by_token=by_token)
    query: Select[*tuple[Any, ...]] = (
        _with_owner_role(select(*shape.columns))
        .join(Item, Item.id == Assignment.item_id)
        .outerjoin(ActiveSetting, ActiveSetting.project_id == Assignment.project_id)
        .where(Assignment.id == bindparam("aid", type_=Integer))
    )
    uid: ColumnElement[int] | InstrumentedAttribute[int] = bindparam("uid", type_=Integer)
    if by_token:
        token, owner = usable_token()
        query = query.join(ApiToken, token).join(User, owner)
        uid = ApiToken.user_id
    if with_key:
        query = query.outerjoin(
            Judgment,
            and_(Judgment.user_id == uid, Judgment.idempotency_key == bindparam("key", type_=String)),
        )
    if lock:
        query = query.with_for_update(of=[Assignment, Item])
    return shape, Direct(query)


@dataclass(frozen=True)
class _Submission:
    user: User
    assignment: Assignment
    project: Project
    item: Item
    retrain_every: int | None
    earlier: Judgment | None


def _submission(
    db: Session, who: User | BearerToken, assignment_id: int, idempotency_key: str | None
) -> _Submission:
    """The assignment and its item (both locked, as ``_own_assignment`` and ``lock_item``), its project,
    the owner's role there and the user's judgment with this idempotency key, in one round trip; from a
    token not yet checked, with the token's check (no row: the check on its own says why, or there is no
    such assignment)."""
    with_key, lock = idempotency_key is not None, is_postgresql(db)
    params: dict[str, Any] = {"aid": assignment_id, "key": idempotency_key}
    found = None
    generic_plans(db)
    if isinstance(who, BearerToken):
        now = utcnow()
        params |= {"token_hash": who.hash, "now": now}
        shape, query = _submission_query(with_key=with_key, lock=lock, by_token=True)
        found = query.first(db, params)
        if found is not None:
            columns: tuple[Any, ...] = shape.load(db, found)
            user = token_user(db, columns[:5], now)
            columns = columns[5:]
        else:
            user = user_for_token(db, who.plain)
    else:
        user = who
    if found is None:
        params["uid"] = user.id
        shape, query = _submission_query(with_key=with_key, lock=lock)
        found = query.first(db, params)
        if found is None:
            raise NotFound(f"no assignment {assignment_id}")
        columns = shape.load(db, found)
    assignment, project, item, role, retrain_every = columns[:5]
    _may_work(user, assignment, project, role)
    return _Submission(user, assignment, project, item, retrain_every, columns[5] if with_key else None)


def lock_item(db: Session, item_id: int) -> Item:
    """The item, row-locked on PostgreSQL until the unit of work ends (SQLite is single-writer)."""
    query = select(Item).where(Item.id == item_id).execution_options(populate_existing=True)
    item = db.scalar(lock_for_update(db, query))
    if item is None:
        raise NotFound(f"no item {item_id}")
    return item


def submit(
    db: Session,
    who: User | BearerToken,
    assignment_id: int,
    answer: Any,
    time_spent_ms: int,
    idempotency_key: str | None = None,
    *,
    critique_fates: list[dict[str, Any]] | None = None,
) -> Submitted:
    if idempotency_key and len(idempotency_key) > 200:
        raise Invalid(
            "Idempotency-Key must be at most 200 characters",
            [field_error("Idempotency-Key", "too long", at="header")],
        )
    found = _submission(db, who, assignment_id, idempotency_key or None)
    user, assignment, project, item, earlier = (
        found.user,
        found.assignment,
        found.project,
        found.item,
        found.earlier,
    )
    if idempotency_key:
        if earlier is None and assignment.status == "submitted":
            # A concurrent submit with this key committed while we waited for the row lock: the joined
            # read above saw the state before it, a fresh statement sees its judgment.
            earlier = db.scalar(
                select(Judgment).where(
                    Judgment.user_id == user.id, Judgment.idempotency_key == idempotency_key
                )
            )
        if earlier is not None:
            if earlier.assignment_id != assignment.id:
                raise Conflict("this Idempotency-Key was already used for another assignment")
            return Submitted(earlier, replayed=True)
    if assignment.status == "submitted":
        raise Conflict(f"assignment {assignment_id} was already submitted")
    if assignment.status != "leased":
        raise Conflict(f"assignment {assignment_id} was {assignment.status}; ask for the next item")
    if not 0 <= time_spent_ms <= MAX_TIME_SPENT_MS:
        raise Invalid(
            "time_spent_ms must be between 0 and 7 days",
            [field_error("time_spent_ms", "out of range", at="body")],
        )
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    # The answer speaks of screen positions: checked against the item as shown (so errors name what the
    # annotator saw), then stored against candidate identities.
    order = display_order(kind, item, assignment)
    shown = item.payload if order is None else kind.arrange(item.payload, order)
    parsed = kind.parse_answer(answer, kind.parse_payload(shown, config), config)
    now = utcnow()
    gold = item.gold if isinstance(item.gold, dict) else None
    if assignment.expires_at <= now:
        # A late submit still counts if nobody took the slot meanwhile (gold items have no slots).
        taken = item.judgment_count + live_leases(db, item.id, now, excluding=assignment.id)
        if item.status != "open" or (gold is None and taken >= target_of(project, item)):
            raise Conflict("your lease expired and the item was given to someone else; ask for the next item")
    answer_data = parsed.model_dump(mode="json", exclude_none=True)
    if order is not None:
        answer_data = kind.to_canonical(answer_data, order)
    judgment = Judgment(
        project_id=project.id,
        item_id=item.id,
        assignment_id=assignment.id,
        user_id=user.id,
        answer=answer_data,
        time_spent_ms=time_spent_ms,
        guideline_version=project.guideline_version,
        idempotency_key=idempotency_key or None,
        # Scored now, never shown to the annotator; gold items keep their gold as their answer.
        gold_score=kind.gold_score(answer_data, gold, config) if gold is not None else None,
        display_order=order,
        # The arms this lease drew (what was shown and what withheld stays with the label), the fate of each
        # critic comment shown (checked against what this lease was shown), and whether the answer
        # accepted a shown suggestion.
        assistance=suggestion_serving.settle(
            kind, config, critique_serving.with_fates(db, assignment, order, critique_fates), answer_data
        ),
        created_at=now,
    )
    count = item.judgment_count + 1
    status, target = item.status, item.overlap_target
    if gold is None:
        status, target = _settle(db, project, item, (count, answer_data, user.id), kind, config)
    completes = status == "complete" and item.status != "complete"
    recording.record(db, judgment, assignment, item, count=count, status=status, overlap_target=target)
    if completes:
        reward_hook.after_complete(db, project, user.id, found.retrain_every)
    return Submitted(judgment, replayed=False)


def _settle(
    db: Session,
    project: Project,
    item: Item,
    latest: tuple[int, dict[str, Any], int],
    kind: TaskType[Any, Any, Any],
    config: Any,
) -> tuple[str, int | None]:
    """After the item's ``count``-th judgment, ``answer`` by ``user_id`` (``latest``, not yet written):
    its status and overlap target, complete or (adaptive overlap) asking for one more judgment."""
    count, answer, user_id = latest
    target = target_of(project, item)
    if count == 1 and project.judge_routing:
        target = judge_routing.after_first_human(db, project, item, kind, config, answer, target)
    conclusive = True
    if count >= target and project.overlap_max is not None and count < project.overlap_max:
        rows = db.execute(
            select(Judgment.answer, Judgment.user_id).where(Judgment.item_id == item.id).order_by(Judgment.id)
        ).all()
        answers = [earlier for earlier, _ in rows] + [answer]
        users = [by for _, by in rows] + [user_id]
        context = overlap.OverlapContext(db, project, item, kind, config, users)
        consensus = kind.consensus(answers, config)
        conclusive = overlap.get(project.overlap_rule)(answers, consensus, project.confidence_target, context)
    after = next_target(policy_of(project), count, target, conclusive)
    if after is None:
        return "complete", item.overlap_target
    if after != target_of(project, item):
        return item.status, after
    return item.status, item.overlap_target


def skip(db: Session, user: User, assignment_id: int, reason: str = "") -> Assignment:
    assignment, _ = _own_assignment(db, user, assignment_id)
    if assignment.status != "leased":
        raise Conflict(
            f"assignment {assignment_id} was {assignment.status}; only a leased item can be skipped"
        )
    assignment.status = "skipped"
    assignment.finished_at = utcnow()
    assignment.skip_reason = reason[:2000] or None
    audit.record(
        db,
        user,
        "assignment.skip",
        "assignment",
        assignment.id,
        project_id=assignment.project_id,
        data={"item_id": assignment.item_id, "reason": reason[:200]},
    )
    return assignment


def list_judgments(
    db: Session, project: Project, *, after: int = 0, limit: int = 100
) -> list[tuple[Judgment, str]]:
    rows = db.execute(
        with_annotator()
        .where(Judgment.project_id == project.id, Judgment.id > after)
        .order_by(Judgment.id)
        .limit(limit)
    )
    return [(j, name) for j, name in rows]
