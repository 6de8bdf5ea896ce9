"""Score a project's open items with its current reward model and let the strategy prioritise a batch.

Scoring is a keyed batch run (``embeddings.checkpoints.run_batches``) through the configured executor
(``QUORUM_EXECUTOR``): the pool's texts the embedding store lacks are embedded first, then each batch of
``SCORE_BATCH`` items (in id order) is scored from stored vectors by ``score_batch`` and its scores are
written with its checkpoint. The key names the reward-model version and the pool, so a rerun after a
failure or a kill skips the batches already scored by that version, and a selection made after it reads
every score back from ``reward_scores``.

The chosen batch gets ``items.priority`` above every other open item (the assignment engine already
serves by priority, then age: no new queue). A share of the batch, the control arm, is drawn uniformly at
random from the items the strategy left and gets the same boost, its positions in the batch shuffled in
among the strategy's, so both arms are labelled at the same time by the same people. Every boost is one
``active_selections`` row naming the reward-model version, the strategy and the arm, and the item's
priority before it. A new selection first releases the boosts of earlier ones: an item still open whose
priority nobody changed since goes back to that earlier priority, so old picks do not stay ahead forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from quorum.db import bulk
from quorum.db.types import utcnow
from quorum.embeddings import texts
from quorum.embeddings.checkpoints import Context, run_batches
from quorum.embeddings.service import default_executor
from quorum.models import ActiveSelection, Item, Project, RewardScore
from quorum.models.item import GOLD_SQL
from quorum.reward import engine, features_store, labels, settings, versions
from quorum.task_types import registry

MAX_POOL = 100_000
SCORE_BATCH = 512
VERIFIABLE = "convincing_wrong"
NEEDS_PROMPTS = ("diversity", "hybrid")


@dataclass(frozen=True)
class ScoreBatch:
    """One batch's features (plain arrays and the ensemble's JSON: picklable for any executor)."""

    ensemble: dict[str, Any]
    prompt: engine.FloatArray
    first: engine.FloatArray
    second: engine.FloatArray


def score_batch(batch: ScoreBatch) -> dict[str, list[float]]:
    """Per row: the ensemble's preference for the first side, its variance, disagreement and margin, and
    the reward of the first side alone. Top-level, so a Ray worker can run it."""
    ensemble = engine.from_json(batch.ensemble)
    scores = engine.score(ensemble, batch.prompt, batch.first, batch.second)
    reward = engine.rewards(ensemble, batch.prompt, batch.first)
    return {
        "score": scores.mean_p.tolist(),
        "variance": scores.var.tolist(),
        "disagreement": scores.mutual_information.tolist(),
        "margin": scores.margin.tolist(),
        "reward": reward.tolist(),
    }


class _Batches(Sequence[ScoreBatch]):
    """The batches of a run, their vectors read from the store when the executor asks for each (a 100k
    pool's vectors are never all in memory at once)."""

    def __init__(
        self, db: Session, project_id: int, model: str, ensemble: dict[str, Any], chunks: list[list[int]],
        second: str | None,
    ) -> None:  # fmt: skip
        self.db, self.project_id, self.model, self.ensemble = db, project_id, model, ensemble
        self.chunks, self.second = chunks, second

    def __len__(self) -> int:
        return len(self.chunks)

    @overload
    def __getitem__(self, index: int) -> ScoreBatch: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ScoreBatch]: ...

    def __getitem__(self, index: int | slice) -> ScoreBatch | Sequence[ScoreBatch]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        ids = self.chunks[index]

        def side(part: str) -> engine.FloatArray:
            return features_store.read(self.db, self.project_id, self.model, ids, [part] * len(ids))

        prompt = side(texts.PROMPT)
        second = np.zeros_like(prompt) if self.second is None else side(self.second)
        return ScoreBatch(self.ensemble, prompt, side(labels.candidate(0)), second)


def _pool(db: Session, project: Project, parts: list[str]) -> list[Any]:
    """Open items with the texts to score (a prompt and two candidates, or the one graded response), no
    judgment yet and no gold (gold has turns of its own)."""
    rows = db.execute(
        select(Item.id, Item.payload)
        .where(Item.project_id == project.id, Item.status == "open", Item.judgment_count == 0)
        .where(text(f"NOT ({GOLD_SQL})"))
        .order_by(Item.id)
        .limit(MAX_POOL)
    ).all()
    return [r for r in rows if labels.has_texts(r.payload, parts)]


def run_key(project_id: int, model_id: int, ids: Sequence[int]) -> str:
    """The batch run of this version over this pool (a different pool is a different run)."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    return f"rm_score:{project_id}:{model_id}:{SCORE_BATCH}:{digest}"


def score(
    ctx: Context, project: Project, *, job_id: int | None, allow_link_local: bool, seed: int | None = None
) -> dict[str, Any]:
    """Score the pool, store each item's score, and (with active learning on) prioritise a batch."""
    db, pid = ctx.db, project.id
    labels.require_trainable(project)
    kind = registry.get(project.task_type)
    model = versions.current(db, project)
    model_id, version, embedding = model.id, model.version, model.embedding_model
    second = labels.BASELINE if kind.grades_one_response else labels.candidate(1)
    parts = [labels.candidate(0)] + ([second] if second is not None else [])
    pool = _pool(db, project, parts)
    ids = [r.id for r in pool]
    chosen: list[dict[str, Any]] = []
    if not ids:
        return {"version": version, "scored": 0, "selected": 0, "selection": chosen}
    features_store.ensure(
        ctx, project, embedding, ids, [texts.PROMPT, *parts], job_id=job_id,
        allow_link_local=allow_link_local,
    )  # fmt: skip
    chunks = [ids[i : i + SCORE_BATCH] for i in range(0, len(ids), SCORE_BATCH)]

    def write(session: Session, index: int, result: dict[str, list[float]]) -> None:
        batch = chunks[index]
        session.execute(delete(RewardScore).where(bulk.among(session, RewardScore.item_id, batch)))
        rows = [
            {"item_id": item_id, "project_id": pid, "reward_model_id": model_id}
            | {name: float(values[i]) for name, values in result.items()}
            for i, item_id in enumerate(batch)
        ]
        bulk.insert_rows(session, RewardScore, rows)

    run_batches(
        ctx,
        run_key(pid, model_id, ids),
        _Batches(db, pid, embedding, model.ensemble, chunks, second),
        score_batch,
        default_executor(db),
        write=write,
        project_id=pid,
        job_id=job_id,
    )
    config = settings.get(db, project)
    if config["enabled"]:
        stored = _stored(db, model_id, ids)
        ids = [i for i in ids if i in stored]
        payloads = {r.id: r.payload for r in pool}
        chosen = _prioritise(db, project, ids, stored, payloads, config, model_id, embedding, seed)
        db.flush()
    return {"version": version, "scored": len(pool), "selected": len(chosen), "selection": chosen}


def _stored(db: Session, model_id: int, ids: list[int]) -> dict[int, RewardScore]:
    """The scores this version wrote for these items (a rerun's skipped batches included)."""
    found: dict[int, RewardScore] = {}
    for start in range(0, len(ids), labels.BATCH):
        query = select(RewardScore).where(
            RewardScore.reward_model_id == model_id,
            bulk.among(db, RewardScore.item_id, ids[start : start + labels.BATCH]),
        )
        found.update((s.item_id, s) for s in db.scalars(query))
    return found


def release(db: Session, project: Project) -> int:
    """End the boosts of the project's earlier selections: each item still open at the priority a
    selection gave it goes back to the priority it had before (0 for selections older than that record);
    every earlier selection is marked released. How many items went back."""
    now = utcnow()
    live = db.execute(
        select(ActiveSelection.id, ActiveSelection.item_id, ActiveSelection.priority)
        .add_columns(ActiveSelection.prior_priority)
        .where(ActiveSelection.project_id == project.id, ActiveSelection.released_at.is_(None))
        .order_by(ActiveSelection.id)
    ).all()
    restored = 0
    for row in live:
        done = db.execute(
            update(Item)
            .where(Item.id == row.item_id, Item.status == "open", Item.priority == row.priority)
            .values(priority=row.prior_priority if row.prior_priority is not None else 0.0)
        )
        restored += int(getattr(done, "rowcount", 0) or 0)
    if live:
        db.execute(
            update(ActiveSelection)
            .where(ActiveSelection.id.in_([r.id for r in live]))
            .values(released_at=now)
        )
    return restored


def _prioritise(
    db: Session,
    project: Project,
    ids: list[int],
    stored: dict[int, RewardScore],
    payloads: dict[int, dict[str, Any]],
    config: dict[str, Any],
    model_id: int,
    embedding: str,
    seed: int | None,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    strategy = config["strategy"]
    rows = [stored[i] for i in ids]
    scores = engine.ScoreSet(
        mean_p=np.array([s.score for s in rows], dtype=np.float64),
        var=np.array([np.nan if s.variance is None else s.variance for s in rows], dtype=np.float64),
        mutual_information=np.array([s.disagreement for s in rows], dtype=np.float64),
        margin=np.array([s.margin for s in rows], dtype=np.float64),
    )
    prompt_vecs = (
        features_store.read(db, project.id, embedding, ids, [texts.PROMPT] * len(ids))
        if strategy in NEEDS_PROMPTS
        else np.zeros((len(ids), 1))
    )
    reward_values, wrong = None, None
    if strategy == VERIFIABLE:
        kind = registry.get(project.task_type)
        reward_values = np.array([s.reward if s.reward is not None else 0.0 for s in rows])
        wrong = np.array([bool(kind.known_wrong(payloads[i])) for i in ids])
    active, control = engine.select(
        strategy,
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
    release(db, project)
    chosen = {ids[i] for i, _ in batch}
    before: dict[int, float] = {
        item_id: priority
        for item_id, priority in db.execute(
            select(Item.id, Item.priority).where(bulk.among(db, Item.id, list(chosen)))
        )
    }
    others = db.scalar(
        select(func.max(Item.priority)).where(
            Item.project_id == project.id, Item.status == "open", Item.id.not_in(chosen)
        )
    )
    base = float(others or 0.0) + 1.0
    selected: list[dict[str, Any]] = []
    for rank, (i, arm) in enumerate(batch):
        priority = base + len(batch) - rank
        db.execute(update(Item).where(Item.id == ids[i]).values(priority=priority))
        s = rows[i]
        selected.append(
            {
                "project_id": project.id,
                "item_id": ids[i],
                "reward_model_id": model_id,
                "strategy": strategy,
                "arm": arm,
                "score": s.score,
                "disagreement": s.disagreement,
                "margin": s.margin,
                "priority": priority,
                "prior_priority": before.get(ids[i], 0.0),
            }
        )
    bulk.insert_rows(db, ActiveSelection, selected)
    return [{k: v for k, v in r.items() if k not in ("project_id", "prior_priority")} for r in selected]
