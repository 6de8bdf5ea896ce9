"""Embeddings of prompts and responses for the reward model, read from the embedding store
(``quorum.embeddings``): a fit or a scoring run first has the store embed the texts it lacks (``ensure``:
checkpointed batches through the configured executor, each committed with its progress in a job, so a
rerun skips what is stored and no transaction is open while the model answers), then reads stored vectors
only (``read``). Texts are named by part (``embeddings.texts``), so a cached vector is the one the reward
model needs.

Generated samples (``pair_choice``) are not items: ``embed`` sends their texts to the provider directly,
with no transaction open (on SQLite an open one would hold the write lock while the model answers); those
calls land in the ledger under ``PURPOSE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from quorum.embeddings import service
from quorum.embeddings.checkpoints import Context
from quorum.errors import BadGateway
from quorum.models import Project
from quorum.providers.batch import send_embeds
from quorum.providers.service import DEFAULT_EMBEDDING, embedding_target, record

PURPOSE = "reward_model"
EMBED_BATCH = 64

FloatArray = NDArray[np.float64]


def model_name(configured: str | None) -> str:
    return service.model_name(configured)


def ensure(
    ctx: Context,
    project: Project,
    model: str,
    item_ids: Sequence[int],
    parts: Sequence[str],
    *,
    job_id: int | None,
    allow_link_local: bool,
) -> service.EmbedStats:
    """Store every text of ``parts`` of these items that the store lacks (a batch at a time)."""
    return service.embed_project(
        ctx.db,
        project,
        model=model,
        parts=list(parts),
        item_ids=item_ids,
        ctx=ctx,
        job_id=job_id,
        allow_link_local=allow_link_local,
    )


def _unit(matrix: FloatArray) -> FloatArray:
    """Unit-length rows, so heads see direction, not norm."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    result: FloatArray = matrix / np.where(norms > 0, norms, 1.0)
    return result


def read(
    db: Session,
    project_id: int,
    model: str,
    item_ids: Sequence[int],
    parts: Sequence[str | None],
    *,
    dim: int = 1,
) -> FloatArray:
    """Row ``i`` is the stored, unit-length vector of part ``parts[i]`` of item ``item_ids[i]``; a ``None``
    part is the zero-reward baseline (zeros; ``dim`` wide when no part is named). Nothing is embedded here: a vector the store lacks is
    ``NotFound`` (``ensure`` first)."""
    rows: dict[str, list[int]] = {}
    for i, part in enumerate(parts):
        if part is not None:
            rows.setdefault(part, []).append(i)
    found: dict[str, FloatArray] = {
        part: _unit(
            service.vectors(
                db, project_id, model, [item_ids[i] for i in at], part, embed_missing=False
            ).astype(np.float64)
        )
        for part, at in rows.items()
    }
    dim = next(iter(found.values())).shape[1] if found else dim
    matrix = np.zeros((len(item_ids), dim), dtype=np.float64)
    for part, at in rows.items():
        matrix[at] = found[part]
    return matrix


def embed(
    db: Session, model: str, texts: list[str], *, job_id: int | None, allow_link_local: bool
) -> FloatArray:
    """One unit-length row per text, sent to the provider (each distinct text once), for texts that are
    not an item's."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float64)
    distinct = list(dict.fromkeys(texts))
    target = embedding_target(db, None if model == DEFAULT_EMBEDDING.name else model)
    db.commit()  # no transaction open while the model answers
    sent = send_embeds(
        target, distinct, batch_size=EMBED_BATCH, concurrency=2, allow_link_local=allow_link_local
    )
    rows: list[list[float]] = []
    error: str | None = None
    for one in sent:
        outcome = record(db, one, purpose=PURPOSE, job_id=job_id)
        if outcome.error is not None:
            error = error or outcome.error.message
        elif outcome.result is not None:
            rows.extend(outcome.result.vectors)
    # The ledger lands now: what follows must not hold a transaction (on SQLite, the write lock every
    # submit waits for); a failed call's row stays too.
    db.commit()
    if error is not None:
        raise BadGateway(f"embedding model {model!r}: {error}")
    matrix = _unit(np.asarray(rows, dtype=np.float64))
    index = {text: i for i, text in enumerate(distinct)}
    return matrix[[index[t] for t in texts]]
