"""The annotator model behind model-based adaptive overlap: stored per project, refitted by a job.

After a judgment, adaptive overlap asks how sure we are of the item's main-question label given who
answered what. The answer is the Dawid-Skene posterior: class priors times each answerer's estimated
P(their answer | true label), with the priors and confusion matrices of a Dawid-Skene fit over the
project's judgments.

The fit never runs in a request (a project's fit reads up to ``MAX_FIT_JUDGMENTS`` judgments):

- **Stored**: the ``consensus_refit`` job (``consensus/jobs.py``) writes the fit into ``consensus_fits``
  (one row per project, its ``version`` bumped by each write), so every process reads the same one.
- **Cache**: each process keeps the decoded model per project (keyed by database, project id and creation
  time) with the stored version it came from; it decodes again only when the stored version moved.
- **Staleness bound**: the fit is due again once the project has ``max(REFRESH_FLOOR, REFRESH_SHARE x
  judgments in the fit)`` judgments newer than it (10, or 10%). Submit's one statement reads the stored
  version and that bounded count together; when due it submits a refit (at most one pending per project,
  ``jobs.service.submit_once``; the job starts after the submit commits) and keeps using the fit it has.
- **No fit yet**: until the first refit has run, there is no model and the caller falls back to agreement,
  as it does with too little data (under ``MIN_FIT_JUDGMENTS`` main-question answers, or fewer than two
  labels). An annotator newer than the fit is treated as the pooled (answer-weighted mean) annotator; a
  label the fit never saw means no model for the item.
- **No queue**: a process without a job queue (a script on the services) refits inline, as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.consensus.service import aggregate, label_of, main_question
from quorum.db.dialect import lock_for_update
from quorum.db.types import utcnow
from quorum.jobs import service as jobs
from quorum.models import ConsensusFit, Judgment, Project
from quorum.task_types import registry
from quorum.task_types.base import TaskType

REFRESH_FLOOR = 10
REFRESH_SHARE = 0.1
MAX_FIT_JUDGMENTS = 200_000
MIN_FIT_JUDGMENTS = 20
KIND = "consensus_refit"
_EPS = 1e-10

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AnnotatorModel:
    """A Dawid-Skene fit of one question: log class priors and, per user id, the log confusion matrix
    ``[true, answered]``."""

    question: str
    labels: dict[str, int]
    log_priors: FloatArray
    log_confusion: dict[int, FloatArray]
    log_pooled: FloatArray

    def posterior(self, users: list[int], answers: list[str]) -> FloatArray | None:
        """P(true label | these users gave these answers); None when an answer is a label the fit never saw."""
        log_post = self.log_priors.copy()
        for user, answer in zip(users, answers, strict=True):
            code = self.labels.get(answer)
            if code is None:
                return None
            log_post += self.log_confusion.get(user, self.log_pooled)[:, code]
        log_post -= log_post.max()
        post = np.exp(log_post)
        result: FloatArray = post / post.sum()
        return result


@dataclass(frozen=True)
class Fit:
    """A fit and the data behind it: the newest judgment it read and how many."""

    model: AnnotatorModel | None
    last_judgment_id: int
    n_judgments: int


@dataclass(frozen=True)
class _Entry:
    fit: Fit
    version: int


_CACHE: dict[tuple[str, int, str], _Entry] = {}
# When this process last asked for a refit of a project, per stored version: a pending job is not asked
# for again on every submit (each ask is one INSERT that does nothing).
_ASKED: dict[tuple[str, int, str], tuple[int | None, float]] = {}
ASK_AGAIN_SECONDS = 30.0
_LOCK = threading.Lock()


def _key(db: Session, project: Project) -> tuple[str, int, str]:
    return (
        db.get_bind().engine.url.render_as_string(hide_password=True),
        project.id,
        str(project.created_at),
    )


def fit(db: Session, project: Project, kind: TaskType[Any, Any, Any], config: Any) -> Fit:
    main = main_question(db, project, kind, config, newest=MAX_FIT_JUDGMENTS)
    rows = main.rows
    if main.name is None or len(rows.items) < MIN_FIT_JUDGMENTS or len(set(rows.labels)) < 2:
        return Fit(None, main.last_judgment_id, main.n_judgments)
    data = rows.encode()
    result = aggregate("ds", data)
    if result.confusion is None:
        raise RuntimeError("Dawid-Skene gave no confusion matrices")
    priors = np.clip(np.asarray(result.params["priors"], dtype=np.float64), _EPS, None)
    confusion = np.clip(result.confusion, _EPS, None)
    weights = result.worker_answers.astype(np.float64)
    pooled = np.tensordot(weights / max(weights.sum(), 1.0), confusion, axes=1)
    model = AnnotatorModel(
        question=main.name,
        labels={name: code for code, name in enumerate(data.label_names)},
        log_priors=np.log(priors / priors.sum()),
        log_confusion={int(name): np.log(confusion[w]) for w, name in enumerate(data.worker_names)},
        log_pooled=np.log(pooled),
    )
    return Fit(model, main.last_judgment_id, main.n_judgments)


def to_json(model: AnnotatorModel) -> dict[str, Any]:
    return {
        "question": model.question,
        "labels": model.labels,
        "log_priors": model.log_priors.tolist(),
        "log_confusion": {str(user): matrix.tolist() for user, matrix in model.log_confusion.items()},
        "log_pooled": model.log_pooled.tolist(),
    }


def from_json(data: dict[str, Any]) -> AnnotatorModel:
    return AnnotatorModel(
        question=data["question"],
        labels={str(k): int(v) for k, v in data["labels"].items()},
        log_priors=np.asarray(data["log_priors"], dtype=np.float64),
        log_confusion={int(u): np.asarray(m, dtype=np.float64) for u, m in data["log_confusion"].items()},
        log_pooled=np.asarray(data["log_pooled"], dtype=np.float64),
    )


def store(db: Session, project: Project, found: Fit) -> ConsensusFit:
    """Write ``found`` as the project's fit, one version up (flushes, never commits)."""
    row = db.scalar(lock_for_update(db, select(ConsensusFit).where(ConsensusFit.project_id == project.id)))
    if row is None:
        row = ConsensusFit(project_id=project.id, version=0)
        db.add(row)
    row.version += 1
    row.fitted_at = utcnow()
    row.last_judgment_id = found.last_judgment_id
    row.n_judgments = found.n_judgments
    row.model = to_json(found.model) if found.model is not None else None
    db.flush()
    return row


def refit(db: Session, project: Project) -> ConsensusFit:
    """Fit the project's model now and store it: the body of the ``consensus_refit`` job."""
    kind = registry.get(project.task_type)
    return store(db, project, fit(db, project, kind, kind.parse_config(project.config)))


def _decoded(row: ConsensusFit) -> _Entry:
    model = from_json(row.model) if row.model is not None else None
    return _Entry(Fit(model, row.last_judgment_id, row.n_judgments), row.version)


def _bound(found: Fit) -> int:
    return max(REFRESH_FLOOR, int(REFRESH_SHARE * found.n_judgments))


def _check(db: Session, project: Project, entry: _Entry) -> tuple[int | None, bool]:
    """One statement: the stored fit's version and whether enough judgments are newer than ``entry``."""
    bound = _bound(entry.fit)
    newer = (
        select(Judgment.id)
        .where(Judgment.project_id == project.id, Judgment.id > entry.fit.last_judgment_id)
        .limit(bound)
        .subquery()
    )
    version = select(ConsensusFit.version).where(ConsensusFit.project_id == project.id).scalar_subquery()
    count = select(func.count()).select_from(newer).scalar_subquery()
    stored, n_newer = db.execute(select(version, count)).one()
    return stored, int(n_newer or 0) >= bound


def _ask_refit(
    db: Session, project: Project, key: tuple[str, int, str], version: int | None, owner: int
) -> None:
    now = time.monotonic()
    with _LOCK:
        asked = _ASKED.get(key)
        if asked is not None and asked[0] == version and now - asked[1] < ASK_AGAIN_SECONDS:
            return
        _ASKED[key] = (version, now)
    jobs.submit_once(
        db,
        KIND,
        f"{KIND}:{project.id}",
        owner_id=project.created_by_id or owner,
        project_id=project.id,
        params={},
    )


def refit_key(project: Project) -> str:
    """One pending refit per project."""
    return f"{KIND}:{project.id}"


def model_for(
    db: Session, project: Project, kind: TaskType[Any, Any, Any], config: Any, *, requester: int
) -> AnnotatorModel | None:
    """The project's stored model (the process's decoded copy while the stored version is unchanged); a
    refit job is submitted when the fit is missing or stale, owned by the project's creator or else by
    ``requester``. Without a job queue the refit runs here."""
    key = _key(db, project)
    with _LOCK:
        entry = _CACHE.get(key)
    if entry is None:
        row = db.get(ConsensusFit, project.id)
        if row is None:
            if not jobs.has_queue(db):
                row = refit(db, project)
            else:
                _ask_refit(db, project, key, None, requester)
                return None
        entry = _decoded(row)
    stored, due = _check(db, project, entry)
    if stored is not None and stored != entry.version:
        row = db.get(ConsensusFit, project.id, populate_existing=True)
        if row is not None:
            entry = _decoded(row)
    elif due:
        if jobs.has_queue(db):
            _ask_refit(db, project, key, stored, requester)
        else:
            entry = _decoded(refit(db, project))
    with _LOCK:
        _CACHE[key] = entry
    return entry.fit.model


def clear() -> None:
    """Forget every cached fit (tests; a process that wants fresh models)."""
    with _LOCK:
        _CACHE.clear()
        _ASKED.clear()


def item_confidence(
    db: Session,
    project: Project,
    kind: TaskType[Any, Any, Any],
    config: Any,
    users: list[int],
    answers: list[dict[str, Any]],
) -> float | None:
    """The model's probability of the item's most probable main-question label; None: no model for it
    (too little data, an answer without the main question, or a label the fit never saw)."""
    model = model_for(db, project, kind, config, requester=users[-1] if users else 0)
    if model is None or not answers:
        return None
    values = [kind.agreement_values(answer, config).get(model.question) for answer in answers]
    if any(value is None for value in values):
        return None
    posterior = model.posterior(users, [label_of(value) for value in values])
    return None if posterior is None else float(posterior.max())
