"""What reviews decided. A judgment may be reviewed by several reviewers: its latest review decides it
(accepted, rejected or corrected), and among the corrections of one item's judgments the latest is the
item's answer. Every reader of verdicts asks here: exports, the annotator models' fit, the item page and
the verdict counts per annotator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from quorum.models import Judgment, Review, User
from quorum.models.review import VERDICTS


def deciding(*where: ColumnElement[bool]) -> Select[int]:
    """The ids of the deciding (latest) review of each judgment among the reviews matching ``where``."""
    return select(func.max(Review.id)).where(*where).group_by(Review.judgment_id)


@dataclass(frozen=True)
class Outcome:
    """What reviews decided for one item: a corrected answer (an expert label) and the judgments that
    no longer vote."""

    corrected: dict[str, Any] | None
    rejected: frozenset[int]


def outcomes(db: Session, item_ids: Iterable[int]) -> dict[int, Outcome]:
    """Per item id (only items with reviews): the corrected answer and the rejected judgment ids."""
    ids = list(item_ids)
    corrected: dict[int, dict[str, Any]] = {}
    rejected: dict[int, set[int]] = defaultdict(set)
    reviewed: set[int] = set()
    query = select(Review).where(Review.id.in_(deciding(Review.item_id.in_(ids)))).order_by(Review.id)
    for r in db.scalars(query):
        reviewed.add(r.item_id)
        if r.verdict == "correct" and r.corrected_answer is not None:
            corrected[r.item_id] = r.corrected_answer  # by id: the latest correction stays
        elif r.verdict == "reject":
            rejected[r.item_id].add(r.judgment_id)
    return {
        item_id: Outcome(corrected.get(item_id), frozenset(rejected.get(item_id, ()))) for item_id in reviewed
    }


def rejected_judgments(db: Session, project_id: int) -> set[int]:
    """The project's judgments that their deciding review rejected: they do not vote."""
    query = select(Review.judgment_id).where(
        Review.id.in_(deciding(Review.project_id == project_id)), Review.verdict == "reject"
    )
    return set(db.scalars(query))


@dataclass(frozen=True)
class AnnotatorStats:
    username: str
    accepted: int
    rejected: int
    corrected: int

    @property
    def reviewed(self) -> int:
        return self.accepted + self.rejected + self.corrected

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.reviewed if self.reviewed else None


def annotator_stats(db: Session, project_id: int) -> list[AnnotatorStats]:
    """Per annotator, the deciding verdicts on their judgments, by username."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    for name, verdict, n in db.execute(
        select(User.username, Review.verdict, func.count())
        .select_from(Review)
        .join(Judgment, Judgment.id == Review.judgment_id)
        .join(User, User.id == Judgment.user_id)
        .where(Review.id.in_(deciding(Review.project_id == project_id)))
        .group_by(User.username, Review.verdict)
    ):
        counts[name][verdict] += n
    return [
        AnnotatorStats(name, c["accept"], c["reject"], c["correct"]) for name, c in sorted(counts.items())
    ]
