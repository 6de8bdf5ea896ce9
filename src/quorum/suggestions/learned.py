"""The learned source of a ``suggest`` job (the Prodigy pattern): a logistic regression over embeddings of
the items, trained on the project's judgments so far, suggests the answer class it finds most likely.

A class is one distinct consensus answer (``TaskType.consensus`` of an item's judgments), so the model
knows no task type by name: for classification it is the label, for a pairwise item the preferred side and
strength. Embeddings come from the local MiniLM (or a registered embedding model), sent with no
transaction open and recorded in the ledger like every model call. Each run retrains from scratch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.errors import BadGateway, Invalid, QuorumError, field_error
from quorum.models import Item, Judgment, Project, Suggestion
from quorum.providers.batch import send_embeds
from quorum.providers.service import Target, embedding_target, record_all
from quorum.suggestions import prompts
from quorum.suggestions.generate import PURPOSE, Tally
from quorum.suggestions.service import LEARNED, VALID

TEMPLATE_VERSION = "learned-v1"
MIN_LABELLED = 4
EMBED_BATCH = 64


def _classes(db: Session, project: Project, kind: Any, config: Any) -> dict[int, str]:
    """item id -> canonical JSON of its consensus answer, over the items judged so far."""
    answers: dict[int, list[dict[str, Any]]] = {}
    query = select(Judgment.item_id, Judgment.answer).where(Judgment.project_id == project.id)
    for item_id, answer in db.execute(query.order_by(Judgment.id)):
        answers.setdefault(item_id, []).append(answer)
    out = {}
    for item_id, given in answers.items():
        consensus = kind.consensus(given, config).answer
        if consensus is not None:
            out[item_id] = json.dumps(consensus, sort_keys=True, separators=(",", ":"))
    return out


def run(
    db: Session, project: Project, job_id: int, item_ids: list[int], params: dict[str, Any], tally: Tally,
    *, allow_link_local: bool, end_reads: Callable[[], None],
) -> dict[str, Any]:  # fmt: skip
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # heavy: on first use

    from quorum.task_types import registry

    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    classes = _classes(db, project, kind, config)
    if len(classes) < MIN_LABELLED or len(set(classes.values())) < 2:
        raise Invalid(
            f"the learned model needs judged items with at least 2 different answers "
            f"({len(classes)} judged, {len(set(classes.values()))} answers); judge more first",
            [field_error("model", "not enough judgments to learn from")],
        )
    wanted = sorted(set(classes) | set(item_ids))
    query = select(Item.id, Item.payload).where(Item.id.in_(wanted))
    payloads: dict[int, dict[str, Any]] = {i: p for i, p in db.execute(query)}
    wanted = [i for i in wanted if i in payloads]
    target: Target = embedding_target(db, params.get("embedding_model"))
    texts = [prompts.item_text(kind, payloads[i]) for i in wanted]
    end_reads()  # no transaction open while embedding
    sent = send_embeds(
        target, texts, batch_size=EMBED_BATCH, concurrency=1, allow_link_local=allow_link_local
    )
    record_all(db, [(s, None) for s in sent], purpose=PURPOSE, job_id=job_id)
    failed = next((s.error for s in sent if s.error is not None or s.result is None), None)
    if failed is not None:
        raise BadGateway(f"embedding with {target.name!r} failed: {failed.message}")
    vectors = np.array([v for s in sent if s.result is not None for v in s.result.vectors], dtype=np.float64)
    row_of = {item_id: n for n, item_id in enumerate(wanted)}
    train = [i for i in wanted if i in classes]
    fit = LogisticRegression(max_iter=1000)
    fit.fit(vectors[[row_of[i] for i in train]], [classes[i] for i in train])
    targets = [i for i in item_ids if i in row_of]
    rows = []
    if targets:
        proba = fit.predict_proba(vectors[[row_of[i] for i in targets]])
        labels = list(fit.classes_)
        for item_id, p in zip(targets, proba, strict=True):
            best = int(np.argmax(p))
            answer = json.loads(labels[best])
            try:
                payload = kind.parse_payload(payloads[item_id], config)
                kind.parse_answer(answer, payload, config)
            except QuorumError as exc:
                tally.invalid += 1
                tally.note("schema", exc.message)
                continue
            tally.suggested += 1
            rows.append(
                _row(project, job_id, item_id, answer, float(p[best]), target, len(train), len(labels))
            )
    if rows:
        db.execute(insert(Suggestion), rows)
    return {"trained_on": len(train), "classes": len(set(classes.values())), "embedding_model": target.name}


def _row(
    project: Project, job_id: int, item_id: int, answer: dict[str, Any], score: float, target: Target,
    trained_on: int, n_classes: int,
) -> dict[str, Any]:  # fmt: skip
    return {
        "project_id": project.id,
        "item_id": item_id,
        "source": LEARNED,
        "model_name": LEARNED,
        "template_version": TEMPLATE_VERSION,
        "params": {"embedding_model": target.name, "trained_on": trained_on, "classes": n_classes},
        "job_id": job_id,
        "status": VALID,
        "answer": answer,
        "score": round(score, 6),
        "error": None,
        "created_at": utcnow(),
    }
