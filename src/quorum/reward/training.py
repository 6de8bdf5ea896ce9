"""Train a project's reward model on its consensus comparisons and store it as a new version.

The held-out share is fixed per item (a hash of its id), so every version of a project is judged on the
same kind of split and versions compare. Each version also records a learning curve per arm: the model
refitted on growing prefixes of the training labels from actively chosen items and from the random control
arm, each scored on the same held-out labels, so the project can see whether active choice pays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import func, select

from quorum.embeddings import texts
from quorum.embeddings.checkpoints import Context
from quorum.errors import Invalid, field_error
from quorum.models import Project, RewardModel
from quorum.reward import engine, features_store, labels, settings

MIN_LABELS = engine.MIN_LABELS
HELD_OUT_EVERY = 5  # one item in five is held out
CURVE_POINTS = 4
CURVE_HEADS = 4
CURVE_MIN = 4
ARMS = ("active", "control")


def held_out(item_id: int) -> bool:
    return (item_id * 2654435761) % 2**32 % HELD_OUT_EVERY == 0


def _too_few(n: int, why: str) -> Invalid:
    return Invalid(
        f"too few consensus labels to train a reward model: {n} ({why})",
        [field_error("labels", f"at least {MIN_LABELS} non-tied consensus comparisons, with some held out")],
    )


def train(ctx: Context, project: Project, *, job_id: int | None, allow_link_local: bool) -> RewardModel:
    """Fit, evaluate and store the next version (flushes). The labelled items' texts the embedding store
    lacks are embedded first, a committed batch at a time, so the fit reads stored vectors only and holds
    no transaction while a model answers."""
    db = ctx.db
    labels.require_trainable(project)
    found = list(labels.read(db, project))
    train_set = [x for x in found if not held_out(x.item_id)]
    test_set = [x for x in found if held_out(x.item_id)]
    if len(found) < MIN_LABELS:
        raise _too_few(len(found), "comparisons that are not ties")
    if len(train_set) < 2 or not test_set:
        raise _too_few(len(found), "none fell in the held-out share")
    n_items = labels.count(db, project)
    model = features_store.model_name(settings.get(db, project)["embedding_model"])
    ids = [x.item_id for x in found]
    sides = sorted({p for x in found for p in (x.first, x.second) if p is not None})
    features_store.ensure(
        ctx, project, model, sorted(set(ids)), [texts.PROMPT, *sides], job_id=job_id,
        allow_link_local=allow_link_local,
    )  # fmt: skip
    prompt = features_store.read(db, project.id, model, ids, [texts.PROMPT] * len(found))
    dim = prompt.shape[1]
    first = features_store.read(db, project.id, model, ids, [x.first for x in found], dim=dim)
    second = features_store.read(db, project.id, model, ids, [x.second for x in found], dim=dim)
    db.commit()  # the reads' transaction ends before the fit (no SQLite lock waits on it)
    test = np.array([held_out(x.item_id) for x in found])
    fit = ~test
    weight = np.array([x.weight for x in found], dtype=np.float64)
    seed = project.id
    ensemble = engine.fit(prompt[fit], first[fit], second[fit], weight[fit], seed=seed)
    report = engine.report(
        ensemble, prompt[test], first[test], second[test], [x.strength for x in test_set], seed=seed
    )
    hits = engine.correct(ensemble, prompt[test], first[test], second[test])
    arms = np.array([x.arm or "none" for x in test_set])
    report["by_arm"] = {
        arm: engine.bootstrap_accuracy(hits[arms == arm], seed=seed) for arm in sorted(set(arms.tolist()))
    }
    report["curve"] = _curves(
        train_set, (prompt[fit], first[fit], second[fit]), (prompt[test], first[test], second[test]), seed
    )
    previous = db.scalar(select(func.max(RewardModel.version)).where(RewardModel.project_id == project.id))
    row = RewardModel(
        project_id=project.id,
        version=(previous or 0) + 1,
        n_labels=len(train_set),
        n_items=n_items,
        item_ids=sorted({x.item_id for x in train_set}),
        judgment_ids=sorted({j for x in train_set for j in x.judgment_ids}),
        last_judgment_id=max((j for x in found for j in x.judgment_ids), default=0),
        accuracy=report["accuracy"],
        accuracy_low=report["accuracy_low"],
        accuracy_high=report["accuracy_high"],
        report={**report, "held_out": len(test_set)},
        ensemble=engine.to_json(ensemble),
        embedding_model=model,
        job_id=job_id,
    )
    db.add(row)
    db.flush()
    return row


def _curves(
    train_set: list[labels.Label],
    train: tuple[engine.FloatArray, engine.FloatArray, engine.FloatArray],
    test: tuple[engine.FloatArray, engine.FloatArray, engine.FloatArray],
    seed: int,
) -> dict[str, list[dict[str, Any]]]:
    """Held-out accuracy by number of training labels from each arm's items (in the order they were
    labelled), with intervals; an arm with fewer than ``CURVE_MIN`` labels has no curve yet."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for arm in ARMS:
        index = np.array([i for i, x in enumerate(train_set) if x.arm == arm], dtype=np.int64)
        points: list[dict[str, Any]] = []
        if len(index) >= CURVE_MIN:
            sizes = sorted(
                {max(CURVE_MIN, round(len(index) * (p + 1) / CURVE_POINTS)) for p in range(CURVE_POINTS)}
            )
            for size in sizes:
                take = index[:size]
                weight = np.array([train_set[i].weight for i in take], dtype=np.float64)
                fitted = engine.fit(
                    train[0][take],
                    train[1][take],
                    train[2][take],
                    weight,
                    seed=seed,
                    heads=CURVE_HEADS,
                    min_labels=CURVE_MIN,
                )
                hits = engine.correct(fitted, *test)
                points.append({"labels": int(size), **engine.bootstrap_accuracy(hits, seed=seed)})
        curves[arm] = points
    return curves
