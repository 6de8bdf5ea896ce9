"""Qualification sets: each annotator's current attempt in a project, its outcome, and the manager's reset.

The rules are ``core/policy.py`` (``qualification_outcome``, ``qualifying``, ``qualification_short``);
this module keeps their state in the ``qualifications`` table. A row is created on an annotator's first
claim in a project that requires a qualification. Attempt 1 counts every scored gold judgment the
annotator made in the project (also those made before the qualification was switched on); a reset
starts a new attempt that counts only gold judged from then on. The outcome is decided by the attempt's
``qualification_size``-th gold judgment and stored by its first reader (the next claim, the workspace,
or the manager's report; a refused API claim rolls back, so the report may be the one); once stored it
sticks, even if the project's size or threshold change later, until a manager resets the annotator.
Gold is never served twice to one person, so a new attempt takes gold items the annotator has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.assignments.rules import policy_of
from quorum.core.policy import qualification_outcome
from quorum.db.dialect import advisory_lock
from quorum.db.types import utcnow
from quorum.models import Assignment, Item, ItemPin, Judgment, Project, Qualification, User
from quorum.models.item import GOLD_SQL


@dataclass(frozen=True)
class QualificationRow:
    username: str
    attempt: int
    status: str
    judged: int
    score: float | None
    decided_at: datetime | None
    started_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    status: str
    judged: int
    score: float | None
    decided_at: datetime | None


def attempt_scores(
    db: Session, user: User, project: Project, started_at: datetime | None
) -> list[tuple[float, datetime]]:
    """The annotator's gold scores in the attempt that began at ``started_at``, oldest first, each with
    the time it was made."""
    query = select(Judgment.gold_score, Judgment.created_at).where(
        Judgment.project_id == project.id, Judgment.user_id == user.id, Judgment.gold_score.is_not(None)
    )
    if started_at is not None:
        query = query.where(Judgment.created_at >= started_at)
    return [(float(s), at) for s, at in db.execute(query.order_by(Judgment.id)) if s is not None]


def outcome(db: Session, user: User, project: Project, row: Qualification) -> Outcome:
    """The attempt as it stands: as stored once decided, else from its judgments (the decision is the
    time of the judgment that completed the set)."""
    if row.status != "pending":
        return Outcome(row.status, row.judged, row.score, row.decided_at)
    scored = attempt_scores(db, user, project, row.started_at)
    status, score = qualification_outcome(policy_of(project), [s for s, _ in scored])
    size = project.qualification_size or 0
    judged = min(len(scored), size) if size else len(scored)
    decided_at = scored[size - 1][1] if status != "pending" and size else None
    return Outcome(status, judged, score, decided_at)


def _refresh(db: Session, user: User, project: Project, row: Qualification) -> Outcome:
    """Store the outcome once decided. Every reader derives the same outcome from the judgments, so the
    stored row is a record (and keeps a decision when the project's size or pass mark change later);
    the conditional update stores and audits each decision once, whoever reads it first."""
    found = outcome(db, user, project, row)
    if row.status != "pending":
        return found
    if found.status == "pending":
        if (row.judged, row.score) != (found.judged, found.score):
            row.judged, row.score = found.judged, found.score
        return found
    stored = db.execute(
        update(Qualification)
        .where(
            Qualification.id == row.id,
            Qualification.status == "pending",
            Qualification.attempt == row.attempt,
        )
        .values(status=found.status, judged=found.judged, score=found.score, decided_at=found.decided_at)
        .execution_options(synchronize_session=False)
    )
    db.refresh(row)
    if getattr(stored, "rowcount", 0) == 1:
        audit.record(
            db,
            user,
            f"qualification.{found.status}",
            "qualification",
            row.id,
            project_id=project.id,
            data={"attempt": row.attempt, "score": found.score},
        )
    return found


def current(db: Session, user: User, project: Project) -> Qualification:
    """The annotator's qualification in the project, created on first use and decided once complete.
    The caller holds the per-annotator claim lock on PostgreSQL."""
    row = db.scalar(
        select(Qualification).where(Qualification.project_id == project.id, Qualification.user_id == user.id)
    )
    if row is None:
        row = Qualification(project_id=project.id, user_id=user.id, attempt=1, status="pending", judged=0)
        db.add(row)
        db.flush()
    _refresh(db, user, project, row)
    return row


def available_gold(db: Session, user: User, project: Project) -> int:
    """Gold items the annotator could still be served: open, never seen by them, not pinned to others."""
    seen = exists().where(Assignment.item_id == Item.id, Assignment.user_id == user.id)
    pinned = exists().where(ItemPin.item_id == Item.id)
    pinned_to_me = exists().where(ItemPin.item_id == Item.id, ItemPin.user_id == user.id)
    return (
        db.scalar(
            select(func.count())
            .select_from(Item)
            .where(
                Item.project_id == project.id,
                Item.status == "open",
                text(f"({GOLD_SQL})"),
                ~seen,
                or_(~pinned, pinned_to_me),
            )
        )
        or 0
    )


def report(db: Session, project: Project) -> list[QualificationRow]:
    """Every annotator who started the project's qualification, with their current attempt."""
    rows = db.execute(
        select(Qualification, User)
        .join(User, User.id == Qualification.user_id)
        .where(Qualification.project_id == project.id)
        .order_by(User.username)
    ).all()
    out = []
    for row, user in rows:
        found = _refresh(db, user, project, row)
        out.append(
            QualificationRow(
                user.username,
                row.attempt,
                found.status,
                found.judged,
                found.score,
                found.decided_at,
                row.started_at,
            )
        )
    return out


def reset(db: Session, actor: User | None, project: Project, user: User) -> Qualification:
    """Start a new attempt for ``user``: their earlier gold judgments no longer count for it."""
    # The same lock as a claim: a reset never races the annotator's own claim creating the row.
    advisory_lock(db, user.id, project.id)
    row = db.scalar(
        select(Qualification).where(Qualification.project_id == project.id, Qualification.user_id == user.id)
    )
    if row is None:
        row = Qualification(project_id=project.id, user_id=user.id, attempt=0)
        db.add(row)
    row.attempt += 1
    row.status = "pending"
    row.started_at = utcnow()
    row.judged = 0
    row.score = None
    row.decided_at = None
    row.reset_by_id = actor.id if actor else None
    db.flush()
    audit.record(
        db,
        actor,
        "qualification.reset",
        "qualification",
        row.id,
        project_id=project.id,
        data={"user": user.username, "attempt": row.attempt},
    )
    return row
