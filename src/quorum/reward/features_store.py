"""Embeddings of prompts and responses for the reward model: the one place that asks for them, so the
cached embedding store (``quorum.embeddings``) can replace the direct calls here without touching callers.

Calls go through the providers' batch executor with no transaction open (on SQLite an open one would hold
the write lock while the model answers); every call lands in the ledger under ``PURPOSE``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from quorum.errors import BadGateway
from quorum.providers.batch import send_embeds
from quorum.providers.service import DEFAULT_EMBEDDING, embedding_target, record

PURPOSE = "reward_model"
EMBED_BATCH = 64

FloatArray = NDArray[np.float64]


def model_name(configured: str | None) -> str:
    return configured or DEFAULT_EMBEDDING.name


def embed(
    db: Session, model: str, texts: list[str], *, job_id: int | None, allow_link_local: bool
) -> FloatArray:
    """One row per text (unit length, so heads see direction, not norm); each distinct text is sent once."""
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
    # The ledger lands now: the fit that follows must not hold a transaction (on SQLite, the write lock
    # every submit waits for); a failed call's row stays too.
    db.commit()
    if error is not None:
        raise BadGateway(f"embedding model {model!r}: {error}")
    matrix = np.asarray(rows, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms > 0, norms, 1.0)
    index = {text: i for i, text in enumerate(distinct)}
    return matrix[[index[t] for t in texts]]
