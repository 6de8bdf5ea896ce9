"""Going back: an annotator's last answers in a project, and editing one as a new version.

An edit is validated exactly as a submit (against the item as that judgment's lease showed it, so
positions mean what the person saw), stored against candidate identities, and the answer it replaces is
kept in ``judgment_versions``. The ``judgments`` row keeps the latest answer and its unique (item, user),
so the item still counts one judgment from this person and exports take the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import ANNOTATE, require_project, require_working
from quorum.assignments.service import MAX_TIME_SPENT_MS
from quorum.db.dialect import lock_for_update
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from quorum.models import Item, Judgment, JudgmentVersion, Project, Review, User
from quorum.task_types import registry

MAX_RECENT = 100


@dataclass(frozen=True)
class Recent:
    judgment: Judgment
    external_id: str
    versions: int  # earlier answers kept; 0: never edited
    shown_answer: dict[str, Any]  # in the lease's screen positions, as the form takes it


def _shown(project: Project, judgment: Judgment) -> dict[str, Any]:
    order = judgment.display_order
    if order is None:
        return judgment.answer
    return registry.get(project.task_type).to_displayed(judgment.answer, order)


def recent(db: Session, user: User, project: Project, limit: int = 20) -> list[Recent]:
    """The person's last ``limit`` judgments in the project, newest first."""
    if not 1 <= limit <= MAX_RECENT:
        raise Invalid(
            f"limit must be between 1 and {MAX_RECENT}", [field_error("limit", "out of range", at="query")]
        )
    rows = db.execute(
        select(Judgment, Item.external_id)
        .join(Item, Item.id == Judgment.item_id)
        .where(Judgment.project_id == project.id, Judgment.user_id == user.id)
        .order_by(Judgment.id.desc())
        .limit(limit)
    ).all()
    ids = [j.id for j, _ in rows]
    counts: dict[int, int] = {}
    if ids:
        counts = dict(
            db.execute(
                select(JudgmentVersion.judgment_id, func.count())
                .where(JudgmentVersion.judgment_id.in_(ids))
                .group_by(JudgmentVersion.judgment_id)
            ).all()
        )
    return [Recent(j, ext, counts.get(j.id, 0), _shown(project, j)) for j, ext in rows]


def own_judgment(
    db: Session, user: User, judgment_id: int, *, lock: bool = False
) -> tuple[Judgment, Item, Project]:
    query = (
        select(Judgment, Item, Project)
        .join(Item, Item.id == Judgment.item_id)
        .join(Project, Project.id == Judgment.project_id)
        .where(Judgment.id == judgment_id)
        .execution_options(populate_existing=True)
    )
    found = db.execute(lock_for_update(db, query) if lock else query).first()
    if found is None:
        raise NotFound(f"no judgment {judgment_id}")
    judgment, item, project = found
    if judgment.user_id != user.id:
        raise Forbidden(f"judgment {judgment_id} is someone else's")
    require_project(db, user, project.id, ANNOTATE)
    return judgment, item, project


def versions(db: Session, judgment: Judgment) -> list[JudgmentVersion]:
    return list(
        db.scalars(
            select(JudgmentVersion)
            .where(JudgmentVersion.judgment_id == judgment.id)
            .order_by(JudgmentVersion.version)
        )
    )


def edit(db: Session, user: User, judgment_id: int, answer: Any, time_spent_ms: int = 0) -> Recent:
    """Replace one's own answer; ``time_spent_ms`` (the edit's own active time) adds to the judgment's."""
    if not 0 <= time_spent_ms <= MAX_TIME_SPENT_MS:
        raise Invalid(
            "time_spent_ms must be between 0 and 7 days",
            [field_error("time_spent_ms", "out of range", at="body")],
        )
    judgment, item, project = own_judgment(db, user, judgment_id, lock=True)
    require_working(project)
    if db.scalar(select(Review.id).where(Review.judgment_id == judgment.id).limit(1)) is not None:
        # A reviewer's verdict speaks of this answer; changing it under them would make the verdict a lie.
        raise Conflict("this answer was reviewed already and can no longer be edited")
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    order = judgment.display_order
    shown = item.payload if order is None else kind.arrange(item.payload, order)
    parsed = kind.parse_answer(answer, kind.parse_payload(shown, config), config)
    answer_data = parsed.model_dump(mode="json", exclude_none=True)
    if order is not None:
        answer_data = kind.to_canonical(answer_data, order)
    if answer_data == judgment.answer:
        return as_recent(db, project, judgment, item)  # nothing changed: not a new version
    earlier = versions(db, judgment)
    answered_at: datetime = earlier[-1].created_at if earlier else judgment.created_at
    now = utcnow()
    db.add(
        JudgmentVersion(
            judgment_id=judgment.id,
            version=len(earlier) + 1,
            answer=judgment.answer,
            time_spent_ms=judgment.time_spent_ms,
            guideline_version=judgment.guideline_version,
            answered_at=answered_at,
            created_at=now,
        )
    )
    # The gold score stays the first answer's: that one was given blind, before any second thought.
    judgment.answer = answer_data
    judgment.time_spent_ms = min(MAX_TIME_SPENT_MS, judgment.time_spent_ms + time_spent_ms)
    judgment.guideline_version = project.guideline_version
    audit.record(
        db,
        user,
        "judgment.edit",
        "judgment",
        judgment.id,
        project_id=project.id,
        data={"item_id": item.id, "version": len(earlier) + 2},
    )
    db.flush()
    return as_recent(db, project, judgment, item)


def as_recent(db: Session, project: Project, judgment: Judgment, item: Item) -> Recent:
    count = db.scalar(
        select(func.count()).select_from(JudgmentVersion).where(JudgmentVersion.judgment_id == judgment.id)
    )
    return Recent(judgment, item.external_id, int(count or 0), _shown(project, judgment))
