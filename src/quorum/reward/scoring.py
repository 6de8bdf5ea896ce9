"""Score a project's open items with its current reward model and let the strategy prioritise a batch.

The chosen batch gets ``items.priority`` above every other open item (the assignment engine already
serves by priority, then age: no new queue). A share of the batch, the control arm, is drawn uniformly at
random from the items the strategy left and gets the same boost, its positions in the batch shuffled in
among the strategy's, so both arms are labelled at the same time by the same people. Every boost is one
``active_selections`` row naming the reward-model version, the strategy and the arm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from quorum.db import bulk
from quorum.models import ActiveSelection, Item, Project, RewardScore
from quorum.models.item import GOLD_SQL
from quorum.reward import engine, features_store, labels, settings, versions

MAX_POOL = 100_000


def _pool(db: Session, project: Project) -> list[Any]:
    """Open items with at least two candidates, no judgment yet and no gold (gold has turns of its own)."""
    rows = db.execute(
        select(Item.id, Item.payload, Item.meta)
        .where(Item.project_id == project.id, Item.status == "open", Item.judgment_count == 0)
        .where(text(f"NOT ({GOLD_SQL})"))
        .order_by(Item.id)
        .limit(MAX_POOL)
    ).all()
    return [r for r in rows if len(labels.candidate_texts(r.payload)) >= 2]


def score(
    db: Session, project: Project, *, job_id: int | None, allow_link_local: bool, seed: int | None = None
) -> dict[str, Any]:
    """Score the pool, store each item's score, and (with active learning on) prioritise a batch."""
    labels.require_trainable(project)
    model = versions.current(db, project)
    pool = _pool(db, project)
    chosen: list[dict[str, Any]] = []
    if pool:
        ensemble = engine.from_json(model.ensemble)
        model_id, version = model.id, model.version
        n = len(pool)
        texts = [labels.prompt_text(r.payload) for r in pool]
        texts += [labels.candidate_texts(r.payload)[0] for r in pool]
        texts += [labels.candidate_texts(r.payload)[1] for r in pool]
        vectors = features_store.embed(
            db, model.embedding_model, texts, job_id=job_id, allow_link_local=allow_link_local
        )
        prompt, first, second = vectors[:n], vectors[n : 2 * n], vectors[2 * n :]
        scores = engine.score(ensemble, prompt, first, second)
        ids = [r.id for r in pool]
        db.execute(delete(RewardScore).where(bulk.among(db, RewardScore.item_id, ids)))
        bulk.insert_rows(
            db,
            RewardScore,
            [
                {
                    "item_id": item_id,
                    "project_id": project.id,
                    "reward_model_id": model_id,
                    "score": float(scores.mean_p[i]),
                    "disagreement": float(scores.mutual_information[i]),
                    "margin": float(scores.margin[i]),
                }
                for i, item_id in enumerate(ids)
            ],
        )
        config = settings.get(db, project)
        if config["enabled"]:
            wrong = np.array([bool((r.meta or {}).get("wrong")) for r in pool])
            verifiable = (engine.rewards(ensemble, prompt, first), wrong)
            chosen = _prioritise(db, project, ids, scores, prompt, verifiable, config, model_id, seed)
        db.flush()
    else:
        version = model.version
    return {"version": version, "scored": len(pool), "selected": len(chosen), "selection": chosen}


def _prioritise(
    db: Session,
    project: Project,
    ids: list[int],
    scores: engine.ScoreSet,
    prompt_vecs: engine.FloatArray,
    verifiable: tuple[engine.FloatArray, Any],
    config: dict[str, Any],
    model_id: int,
    seed: int | None,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    reward_values, wrong = verifiable if config["strategy"] == "convincing_wrong" else (None, None)
    active, control = engine.select(
        config["strategy"],
        scores,
        prompt_vecs,
        config["batch_size"],
        config["control_share"],
        rng,
        reward_values=reward_values,
        wrong=wrong,
    )
    batch: list[tuple[int, str]] = [(i, "active") for i in active]
    # The control arm's places in the batch are drawn at random too: neither arm is served first.
    for i in control:
        batch.insert(int(rng.integers(0, len(batch) + 1)), (i, "control"))
    chosen = {ids[i] for i, _ in batch}
    others = db.scalar(
        select(func.max(Item.priority)).where(
            Item.project_id == project.id, Item.status == "open", Item.id.not_in(chosen)
        )
    )
    base = float(others or 0.0) + 1.0
    rows: list[dict[str, Any]] = []
    for rank, (i, arm) in enumerate(batch):
        priority = base + len(batch) - rank
        db.execute(update(Item).where(Item.id == ids[i]).values(priority=priority))
        rows.append(
            {
                "project_id": project.id,
                "item_id": ids[i],
                "reward_model_id": model_id,
                "strategy": config["strategy"],
                "arm": arm,
                "score": float(scores.mean_p[i]),
                "disagreement": float(scores.mutual_information[i]),
                "margin": float(scores.margin[i]),
                "priority": priority,
            }
        )
    bulk.insert_rows(db, ActiveSelection, rows)
    return [{k: v for k, v in r.items() if k != "project_id"} for r in rows]
