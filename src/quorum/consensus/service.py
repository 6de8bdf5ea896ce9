"""Consensus by an annotator model (``mv``, ``ds``, ``glad``, ``mace``) fitted on a whole project.

An item's consensus can come from its own answers alone (the task type's ``consensus``: what exports use
by default) or from an annotator model fitted over every judgment of the project, which learns who is
reliable and weighs each answer by it. Rules, fixed and documented here (the question rules are the
quality report's, ``quorum.quality.service``):

- **Categorical questions** are nominal ones plus those with at most ``MAX_CATEGORIES`` distinct values;
  the **main question** is the first categorical one, in the order the task type lists its questions.
  The model is fitted on the main question only.
- Judgments a reviewer **rejected** (their latest review) are left out of the fit, as they are left out
  of the vote.
- **From a label to an answer**: the model gives each item a distribution over main-question labels.
  The consensus label is the most probable label that at least one of the item's own (voting) judgments
  gave (the method's own choice first, so majority-vote ties follow its documented rule); the consensus
  answer is the task type's consensus over the judgments that gave it (for single-label classification
  that is simply ``{"labels": [label]}``); its confidence is the model's probability of the label.
- An item the model has nothing for (no answer to the main question, or a project with no categorical
  question) keeps the task type's own consensus, with the task type's method name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core.aggregation import METHODS, AggregationResult, Encoded, Encoder
from quorum.errors import Invalid, field_error
from quorum.models import Judgment, Project
from quorum.reviews.decisions import rejected_judgments
from quorum.task_types import registry
from quorum.task_types.base import Consensus, TaskType

MAX_CATEGORIES = 10
_BATCH = 2000


def check_method(method: str, loc: list[str] | None = None) -> None:
    """Refuse an unknown consensus method, naming the ``method`` field."""
    if method not in METHODS:
        raise Invalid(
            f"method must be one of {', '.join(METHODS)}",
            [field_error("method", "unknown method", loc=loc)],
        )


def label_of(value: Any) -> str:
    """A question's value as a label: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class QuestionRows:
    """Long rows of one question: parallel lists of item id, user id and label."""

    items: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def encode(self) -> Encoded:
        encoder = Encoder()
        for item, user, label in zip(self.items, self.users, self.labels, strict=True):
            encoder.add(str(item), str(user), label)
        return encoder.finish()


@dataclass(frozen=True)
class MainQuestion:
    """The main question's rows, with the newest judgment id read and how many judgments were read."""

    name: str | None
    rows: QuestionRows
    last_judgment_id: int
    n_judgments: int


def _judgments(
    db: Session, project: Project, newest: int | None
) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    query = select(Judgment.id, Judgment.item_id, Judgment.user_id, Judgment.answer).where(
        Judgment.project_id == project.id
    )
    if newest is None:
        query = query.order_by(Judgment.id)
    else:
        query = query.order_by(Judgment.id.desc()).limit(newest)
    for row in db.execute(query.execution_options(yield_per=_BATCH)):
        yield row[0], row[1], row[2], row[3]


def main_question(
    db: Session,
    project: Project,
    kind: TaskType[Any, Any, Any],
    config: Any,
    *,
    skip: set[int] | None = None,
    newest: int | None = None,
) -> MainQuestion:
    """Read the project's judgments (only the ``newest`` N when given; never those in ``skip``) and keep
    the main question's rows."""
    questions: dict[str, QuestionRows] = {}
    last = 0
    count = 0
    for judgment_id, item_id, user_id, answer in _judgments(db, project, newest):
        last = max(last, judgment_id)
        count += 1
        if skip and judgment_id in skip:
            continue
        for name, value in kind.agreement_values(answer, config).items():
            if value is None:
                continue
            rows = questions.setdefault(name, QuestionRows())
            rows.items.append(item_id)
            rows.users.append(user_id)
            rows.labels.append(label_of(value))
    for name, rows in questions.items():
        if kind.question_level(name, config) == "nominal" or len(set(rows.labels)) <= MAX_CATEGORIES:
            return MainQuestion(name, rows, last, count)
    return MainQuestion(None, QuestionRows(), last, count)


def aggregate(method: str, data: Encoded) -> AggregationResult:
    return METHODS[method](data.tasks, data.workers, data.labels, data.n_tasks, data.n_workers, data.n_labels)


@dataclass(frozen=True)
class ProjectConsensus:
    """A fitted annotator model's view of each item: main-question labels, most probable first."""

    method: str
    question: str | None
    ranked: dict[int, list[tuple[str, float]]]

    def consensus(
        self, item_id: int, votes: list[dict[str, Any]], kind: TaskType[Any, Any, Any], config: Any
    ) -> Consensus:
        """The item's consensus under the model (see the module's rules), from its voting answers."""
        ranked = self.ranked.get(item_id)
        if self.question is None or not ranked:
            return kind.consensus(votes, config)
        values = [kind.agreement_values(vote, config).get(self.question) for vote in votes]
        given = [None if value is None else label_of(value) for value in values]
        for label, probability in ranked:
            matching = [vote for vote, answered in zip(votes, given, strict=True) if answered == label]
            if matching:
                return Consensus(
                    kind.consensus(matching, config).answer, probability, self.method, len(votes)
                )
        return kind.consensus(votes, config)


def fit_project(db: Session, project: Project, method: str) -> ProjectConsensus:
    """Fit ``method`` on the main question of every (not rejected) judgment of ``project``."""
    check_method(method)
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    main = main_question(db, project, kind, config, skip=rejected_judgments(db, project.id))
    if main.name is None or not main.rows.items:
        return ProjectConsensus(method, None, {})
    data = main.rows.encode()
    result = aggregate(method, data)
    ranked: dict[int, list[tuple[str, float]]] = {}
    for task in range(data.n_tasks):
        chosen = int(result.labels[task])
        if chosen < 0:
            continue
        probabilities = result.probabilities[task]
        # The method's own choice first (it carries majority vote's tie rule), then by probability.
        order = [chosen, *(int(k) for k in np.argsort(-probabilities, kind="stable") if int(k) != chosen)]
        ranked[int(data.task_names[task])] = [
            (data.label_names[k], float(probabilities[k])) for k in order if probabilities[k] > 0.0
        ]
    return ProjectConsensus(method, main.name, ranked)
