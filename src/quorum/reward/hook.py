"""After a submit that completes an item: is a reward-model retrain due? No statement without active
learning (the submit reads the setting with its assignment), one with it; no NumPy.

Due when the project has active learning on with a retrain interval N and at least N items completed
since the latest version was trained (or N in all before the first). The retrain is a job, at most one
pending per project (``jobs.service.submit_once``), started after the submit commits: next and submit
never wait for it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.jobs import service as jobs
from quorum.models import ActiveSetting, Item, Project, RewardModel

TRAIN = "rm_train"
SCORE = "rm_score"


def key(kind: str, project_id: int) -> str:
    return f"{kind}:{project_id}"


def due(db: Session, project: Project) -> bool:
    """One primary-key read for a project without active learning; the two counts only with it."""
    every = db.scalar(select(ActiveSetting.retrain_every).where(ActiveSetting.project_id == project.id))
    return every is not None and due_every(db, project, every)


def due_every(db: Session, project: Project, every: int) -> bool:
    """``due`` where the project's ``retrain_every`` is already read."""
    trained = (
        select(RewardModel.n_items)
        .where(RewardModel.project_id == project.id)
        .order_by(RewardModel.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    done = (
        select(func.count()).where(Item.project_id == project.id, Item.status == "complete").scalar_subquery()
    )
    n_trained, n_done = db.execute(select(trained, done)).one()
    return int(n_done) - int(n_trained or 0) >= int(every)


def after_complete(db: Session, project: Project, requester: int, retrain_every: int | None) -> None:
    """Ask for a retrain when one is due; a process without a job queue (a script) never retrains here.
    ``retrain_every``: the project's setting (``ActiveSetting``), which the submit read with its
    assignment (None: no active learning, nothing to count)."""
    if retrain_every is None or not jobs.has_queue(db) or not due_every(db, project, retrain_every):
        return
    jobs.submit_once(
        db,
        TRAIN,
        key(TRAIN, project.id),
        owner_id=project.created_by_id or requester,
        project_id=project.id,
        params={},
    )
