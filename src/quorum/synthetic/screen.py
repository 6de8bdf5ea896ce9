"""The screening phase of a batch: de-duplicate its candidates against the target project (its items and
other batches' prompts) and each other, exact, near and semantic (``core.dedup``), record each verdict
with its reason, score and nearest matches, then send the survivors to humans as items of the review
project, ordered so that whatever share gets reviewed first is a stratified sample. One unit of work:
a crash before it commits leaves the batch ``generating``, and the rerun screens it again from scratch."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core.dedup import Thresholds, Verdict, dedup
from quorum.core.stratified import review_order
from quorum.errors import BadGateway
from quorum.items.importer import import_rows
from quorum.items.payloads import ids_by_external_id
from quorum.models import Item, Project, SyntheticBatch, SyntheticPrompt, User
from quorum.providers.batch import send_embeds
from quorum.providers.service import DEFAULT_EMBEDDING, embedding_target, record
from quorum.synthetic.seeds import item_prompt

PURPOSE = "dedup"
EMBED_BATCH = 256


def _reference(db: Session, batch: SyntheticBatch) -> list[tuple[str, str]]:
    """(name, text) of what the batch must not repeat: the target's items, other batches' prompts."""
    items = db.execute(
        select(Item.id, Item.payload).where(Item.project_id == batch.project_id).order_by(Item.id)
    )
    out = [(f"item:{i}", t) for i, payload in items if (t := item_prompt(payload))]
    others = db.execute(
        select(SyntheticPrompt.id, SyntheticPrompt.text)
        .join(SyntheticBatch, SyntheticBatch.id == SyntheticPrompt.batch_id)
        .where(
            SyntheticBatch.project_id == batch.project_id,
            SyntheticBatch.id != batch.id,
            SyntheticPrompt.status == "survivor",
        )
        .order_by(SyntheticPrompt.id)
    )
    return out + [(f"prompt:{i}", t) for i, t in others]


def run(db: Session, batch: SyntheticBatch, *, job_id: int, allow_link_local: bool) -> dict[str, Any]:
    candidates = list(
        db.scalars(
            select(SyntheticPrompt)
            .where(SyntheticPrompt.batch_id == batch.id, SyntheticPrompt.status == "candidate")
            .order_by(SyntheticPrompt.id)
        )
    )
    reference = _reference(db, batch)
    texts, ref_texts = [c.text for c in candidates], [t for _, t in reference]
    vectors = ref_vectors = None
    model = batch.params.get("embedding_model")
    semantic = "skipped: embedding_model is null" if model is None else f"ran with {model!r}"
    if model is not None and texts:
        ref_vectors, vectors = _embed(
            db, model, ref_texts, texts, job_id=job_id, allow_link_local=allow_link_local
        )
    thresholds = Thresholds(near=batch.params["near"], semantic=batch.params["semantic"])
    verdicts = dedup(texts, ref_texts, vectors=vectors, reference_vectors=ref_vectors, thresholds=thresholds)
    for prompt, verdict in zip(candidates, verdicts, strict=True):
        prompt.dedup = _provenance(verdict, reference, candidates)
        prompt.reason, prompt.score = verdict.reason, verdict.score
        prompt.status = "rejected" if verdict.reason else "survivor"
    survivors = [p for p in candidates if p.status == "survivor"]
    db.flush()
    return {"screened": len(candidates), "survivors": len(survivors), "semantic": semantic}


def _embed(
    db: Session, model: str, ref_texts: list[str], texts: list[str], *, job_id: int, allow_link_local: bool
) -> tuple[np.ndarray, np.ndarray]:
    target = embedding_target(db, None if model == DEFAULT_EMBEDDING.name else model)
    db.commit()  # no transaction open while the model answers
    sent = send_embeds(
        target, [*ref_texts, *texts], batch_size=EMBED_BATCH, concurrency=4, allow_link_local=allow_link_local
    )
    rows: list[list[float]] = []
    error = None
    for one in sent:
        outcome = record(db, one, purpose=PURPOSE, job_id=job_id)
        if outcome.error is not None:
            error = error or outcome.error.message
        elif outcome.result is not None:
            rows.extend(outcome.result.vectors)
    if error is not None:
        db.commit()  # the ledger keeps the failed calls
        raise BadGateway(f"embedding model {model!r}: {error}")
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix[: len(ref_texts)], matrix[len(ref_texts) :]


def _provenance(
    verdict: Verdict, reference: list[tuple[str, str]], candidates: list[SyntheticPrompt]
) -> dict[str, Any]:
    """Per stage, the nearest match (``item:ID`` or ``prompt:ID``) and its score; ``match``: the one that
    rejected it."""

    def name(index: int, is_reference: bool) -> str:
        return reference[index][0] if is_reference else f"prompt:{candidates[index].id}"

    out: dict[str, Any] = {
        "nearest": {
            stage: {"score": score, "match": name(i, is_ref)}
            for stage, (score, i, is_ref) in verdict.nearest.items()
        }
    }
    if verdict.match is not None:
        out["match"] = name(verdict.match, verdict.match_is_reference)
    return out


def send_to_review(db: Session, owner: User | None, batch: SyntheticBatch) -> int:
    """The survivors as items of the review project; the first in review order get the highest priority."""
    review = db.get(Project, batch.review_project_id) if batch.review_project_id else None
    survivors = list(
        db.scalars(
            select(SyntheticPrompt)
            .where(SyntheticPrompt.batch_id == batch.id, SyntheticPrompt.status == "survivor")
            .order_by(SyntheticPrompt.id)
        )
    )
    if review is None or not survivors:
        return 0
    order = review_order([p.stratum for p in survivors], batch.params["seed"])
    rank = {index: r for r, index in enumerate(order)}
    rows = [
        (
            n + 1,
            {
                "external_id": external_id(batch, p),
                "payload": {"prompt": p.text},
                "metadata": {"synthetic_batch": batch.id, "synthetic_prompt": p.id, "stratum": p.stratum},
                "priority": float(len(survivors) - rank[n]),
            },
        )
        for n, p in enumerate(survivors)
    ]
    import_rows(db, owner, review, rows, action="synthetic.review")
    ids = ids_by_external_id(db, review.id, [external_id(batch, p) for p in survivors])
    for p in survivors:
        p.review_item_id = ids[external_id(batch, p)]
    db.flush()
    return len(survivors)


def external_id(batch: SyntheticBatch, prompt: SyntheticPrompt) -> str:
    return f"synthetic-{batch.id}-{prompt.id}"
