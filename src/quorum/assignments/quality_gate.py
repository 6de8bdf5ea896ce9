"""The quality gate: each annotator's running gold accuracy in a project, and whether it stops them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.assignments.rules import policy_of
from quorum.core.policy import AnnotatorState, passes_quality_gate
from quorum.models import Judgment, Project, User


@dataclass(frozen=True)
class GoldRecord:
    username: str
    gold_judged: int
    gold_accuracy: float | None
    gated: bool


def gold_record(db: Session, user: User, project: Project) -> tuple[int, float | None]:
    """How many gold judgments the annotator has in the project, and their mean score."""
    count, mean = db.execute(
        select(func.count(Judgment.gold_score), func.avg(Judgment.gold_score)).where(
            Judgment.project_id == project.id, Judgment.user_id == user.id, Judgment.gold_score.is_not(None)
        )
    ).one()
    return int(count or 0), float(mean) if mean is not None else None


def gate_report(db: Session, project: Project) -> list[GoldRecord]:
    """Every annotator with scored gold in the project; ``gated`` says who the gate stops, and why is plain
    from the numbers beside it."""
    policy = policy_of(project)
    rows = db.execute(
        select(User.username, func.count(Judgment.gold_score), func.avg(Judgment.gold_score))
        .join(User, User.id == Judgment.user_id)
        .where(Judgment.project_id == project.id, Judgment.gold_score.is_not(None))
        .group_by(User.username)
        .order_by(User.username)
    )
    report = []
    for name, count, mean in rows:
        accuracy = float(mean) if mean is not None else None
        state = AnnotatorState(gold_judged=int(count), gold_accuracy=accuracy)
        report.append(GoldRecord(name, int(count), accuracy, not passes_quality_gate(policy, state)))
    return report
