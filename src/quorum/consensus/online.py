"""The annotator model behind model-based adaptive overlap, cached per project.

After a judgment, adaptive overlap asks how sure we are of the item's main-question label given who
answered what. The answer is the Dawid-Skene posterior: class priors times each answerer's estimated
P(their answer | true label), with the priors and confusion matrices of a Dawid-Skene fit over the
project's judgments.

Keeping the submit path fast (the fit is the expensive part, the posterior of one item is a few
multiplications):

- **Cache**: one fit per project per process (keyed by database, project id and creation time).
- **Staleness bound**: the fit is reused until the project has ``max(REFRESH_FLOOR, REFRESH_SHARE x
  judgments in the fit)`` judgments newer than it (10, or 10%): a project with 1,000 judgments is refitted
  at most every 100 new ones. Checking costs one index range count, bounded by that number.
- **Bounded fit**: a refit reads at most the newest ``MAX_FIT_JUDGMENTS`` judgments, so its cost does not
  grow with the project beyond that.
- **Too little data**: under ``MIN_FIT_JUDGMENTS`` main-question answers, or fewer than two labels,
  there is no model and the caller falls back to agreement. An annotator newer than the fit is treated
  as the pooled (answer-weighted mean) annotator; a label the fit never saw means no model for the item.

Several server processes each keep their own cache; each one honours the same bound.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quorum.consensus.service import aggregate, label_of, main_question
from quorum.models import Judgment, Project
from quorum.task_types.base import TaskType

REFRESH_FLOOR = 10
REFRESH_SHARE = 0.1
MAX_FIT_JUDGMENTS = 200_000
MIN_FIT_JUDGMENTS = 20
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
class _Entry:
    model: AnnotatorModel | None
    last_judgment_id: int
    n_judgments: int


_CACHE: dict[tuple[str, int, str], _Entry] = {}
_LOCK = threading.Lock()


def _key(db: Session, project: Project) -> tuple[str, int, str]:
    return (
        db.get_bind().engine.url.render_as_string(hide_password=True),
        project.id,
        str(project.created_at),
    )


def _stale(db: Session, project: Project, entry: _Entry) -> bool:
    bound = max(REFRESH_FLOOR, int(REFRESH_SHARE * entry.n_judgments))
    newer = (
        select(Judgment.id)
        .where(Judgment.project_id == project.id, Judgment.id > entry.last_judgment_id)
        .limit(bound)
        .subquery()
    )
    return int(db.scalar(select(func.count()).select_from(newer)) or 0) >= bound


def fit(db: Session, project: Project, kind: TaskType[Any, Any, Any], config: Any) -> _Entry:
    main = main_question(db, project, kind, config, newest=MAX_FIT_JUDGMENTS)
    rows = main.rows
    if main.name is None or len(rows.items) < MIN_FIT_JUDGMENTS or len(set(rows.labels)) < 2:
        return _Entry(None, main.last_judgment_id, main.n_judgments)
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
    return _Entry(model, main.last_judgment_id, main.n_judgments)


def model_for(
    db: Session, project: Project, kind: TaskType[Any, Any, Any], config: Any
) -> AnnotatorModel | None:
    """The project's cached model, refitted when stale (see the module's staleness bound)."""
    key = _key(db, project)
    with _LOCK:
        entry = _CACHE.get(key)
    if entry is None or _stale(db, project, entry):
        entry = fit(db, project, kind, config)
        with _LOCK:
            _CACHE[key] = entry
    return entry.model


def clear() -> None:
    """Forget every cached fit (tests; a process that wants fresh models)."""
    with _LOCK:
        _CACHE.clear()


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
    model = model_for(db, project, kind, config)
    if model is None or not answers:
        return None
    values = [kind.agreement_values(answer, config).get(model.question) for answer in answers]
    if any(value is None for value in values):
        return None
    posterior = model.posterior(users, [label_of(value) for value in values])
    return None if posterior is None else float(posterior.max())
