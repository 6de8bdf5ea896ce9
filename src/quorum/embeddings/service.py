"""Embedding a project's items into the store, and reading vectors back. Work is keyed by what it
produces, (project, model, part, item, content hash): a run first reads which keys are stored and embeds
only the rest, in batches, each batch's vectors and its ledger row committed together (in a job), so a
rerun after a kill or a cancel skips every finished batch and never stores a row twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.embeddings import store, texts
from quorum.embeddings.checkpoints import Context, Unjobbed, settle
from quorum.embeddings.compute import EmbedBatch, embed_batch
from quorum.errors import BadGateway, Invalid, NotFound, field_error
from quorum.executors import Executor, executor_for
from quorum.jobs.registry import SETTINGS_INFO_KEY
from quorum.models import Item, Project
from quorum.providers.batch import batched
from quorum.providers.service import DEFAULT_EMBEDDING, Target, embedding_target, record

BATCH_SIZE = 64
PURPOSE = "embed"


@dataclass(frozen=True)
class Wanted:
    item_id: int
    part: str
    content_hash: str
    text: str

    @property
    def key(self) -> store.Key:
        return (self.item_id, self.part, self.content_hash)


@dataclass
class EmbedStats:
    model: str
    parts: list[str]
    total: int
    """Texts the project has for these parts."""
    stored: int
    """Of those, already in the store when the run began."""
    embedded: int = 0
    """Texts sent to the model (a text shared by several items or parts counts once)."""
    written: int = 0
    """Rows stored by this run."""
    batches: int = 0
    tokens_in: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_name(model: str | None) -> str:
    return model or DEFAULT_EMBEDDING.name


def default_executor(db: Session) -> Executor:
    """The executor ``QUORUM_EXECUTOR`` names (in this process where no settings are attached)."""
    settings = db.info.get(SETTINGS_INFO_KEY)
    return executor_for(settings.executor if settings is not None else "inprocess")


def wanted(
    db: Session, project_id: int, parts: Sequence[str] | None, item_ids: Sequence[int] | None = None
) -> list[Wanted]:
    """The texts to embed, in item order: each item's ``parts`` (all it has when ``None``)."""
    query = select(Item.id, Item.payload).where(Item.project_id == project_id).order_by(Item.id)
    found: list[Wanted] = []
    ids = list(item_ids) if item_ids is not None else None
    chunks = [None] if ids is None else [ids[i : i + store.CHUNK] for i in range(0, len(ids), store.CHUNK)]
    for chunk in chunks:
        scoped = query if chunk is None else query.where(Item.id.in_(chunk))
        for item_id, payload in db.execute(scoped):
            for part in parts if parts is not None else texts.parts_of(payload):
                value = texts.text(payload, part)
                if value is not None:
                    found.append(Wanted(item_id, part, texts.content_hash(value), value))
    return found


def embed_project(
    db: Session,
    project: Project,
    *,
    model: str | None = None,
    parts: Sequence[str] | None = None,
    item_ids: Sequence[int] | None = None,
    executor: Executor | None = None,
    ctx: Context | None = None,
    batch_size: int = BATCH_SIZE,
    job_id: int | None = None,
    allow_link_local: bool = False,
) -> EmbedStats:
    """Store every text of ``parts`` (``prompt``, ``candidate:N``; all an item has when ``None``) of the
    project's items embedded by ``model`` (the built-in ``local-minilm`` when ``None``; ``local-wordllama``
    is the fast one); only ``item_ids``' when given. In a job (``ctx``) each batch commits with its
    progress; outside one the caller's unit of work commits."""
    if batch_size < 1:
        raise Invalid("invalid batch size", [field_error("batch_size", "at least 1")])
    chosen = texts.check_parts(parts) if parts is not None else None
    target = embedding_target(db, model)
    todo = wanted(db, project.id, chosen, item_ids)
    return _embed(
        db, project.id, target, todo, chosen, executor or default_executor(db), ctx or Unjobbed(db),
        batch_size, job_id, allow_link_local,
    )  # fmt: skip


def _embed(
    db: Session,
    project_id: int,
    target: Target,
    todo: list[Wanted],
    parts: list[str] | None,
    executor: Executor,
    ctx: Context,
    batch_size: int,
    job_id: int | None,
    allow_link_local: bool,
) -> EmbedStats:
    names = parts if parts is not None else sorted({w.part for w in todo})
    have = store.existing_keys(db, project_id, target.name, names)
    pending = [w for w in todo if w.key not in have]
    # One text is embedded once however many items or parts share it (hh-rlhf repeats prompts).
    by_text: dict[str, list[Wanted]] = {}
    for w in pending:
        by_text.setdefault(w.content_hash, []).append(w)
    stats = EmbedStats(target.name, names, len(todo), len(todo) - len(pending))
    settle(ctx, stats.stored, stats.total)
    chunks = list(batched(list(by_text.values()), batch_size))
    calls = (
        EmbedBatch(target, tuple(group[0].text for group in chunk), allow_link_local) for chunk in chunks
    )
    done = stats.stored
    # Cancellation is checked after each batch is committed, before the next is asked for: an in-process
    # run never computes a batch it then throws away (a Ray run may have a few in flight, which are dropped).
    for chunk, sent in zip(chunks, executor.map_batches(embed_batch, calls), strict=True):
        outcome = record(db, sent, purpose=PURPOSE, job_id=job_id)
        if outcome.error is not None or outcome.result is None:
            ctx.progress(done)  # keeps the failed call's ledger row (in a job)
            raise BadGateway(f"embedding model {target.name!r}: {outcome.error}")
        vectors = np.asarray(outcome.result.vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(chunk):
            ctx.progress(done)
            raise BadGateway(
                f"embedding model {target.name!r} returned {vectors.shape[0]} vectors for {len(chunk)} texts"
            )
        rows = [
            store.Row(w.item_id, w.part, w.content_hash, vector)
            for group, vector in zip(chunk, vectors, strict=True)
            for w in group
        ]
        store.write(db, project_id, target.name, rows)
        done += len(rows)
        stats.written += len(rows)
        stats.embedded += len(chunk)
        stats.batches += 1
        stats.tokens_in += outcome.result.tokens_in
        settle(ctx, done)
    return stats


def vectors(
    db: Session,
    project_id: int,
    model: str | None,
    item_ids: Sequence[int],
    part: str,
    *,
    embed_missing: bool = True,
    executor: Executor | None = None,
) -> np.ndarray:
    """The ``part`` vector of each of ``item_ids``, in that order (float32, one row each). A text not
    stored yet is embedded now (in this unit of work), or with ``embed_missing=False`` reported
    (``NotFound`` naming how many). An item without that text (no second candidate) is ``Invalid``."""
    texts.check_parts([part])
    target = embedding_target(db, model)
    ids = list(dict.fromkeys(item_ids))
    todo = {w.item_id: w for w in wanted(db, project_id, [part], ids)}
    present = _present(db, project_id, ids)
    if absent := [i for i in ids if i not in present]:
        raise NotFound(f"no item {absent[0]} in project {project_id}")
    if lacking := [i for i in ids if i not in todo]:
        raise Invalid(
            f"item {lacking[0]} has no {part!r} text",
            [field_error("item_ids", f"item {i} has no {part!r}") for i in lacking[:20]],
        )
    keys = {i: todo[i].content_hash for i in ids}
    found = store.read(db, project_id, target.name, part, keys)
    missing = [todo[i] for i in ids if i not in found]
    if missing and not embed_missing:
        raise NotFound(
            f"{len(missing)} of {len(ids)} items have no stored {part!r} embedding by {target.name!r}"
            " (run the embed job)"
        )
    if missing:
        _embed(
            db, project_id, target, missing, [part], executor or default_executor(db), Unjobbed(db),
            BATCH_SIZE, None, False,
        )  # fmt: skip
        found = store.read(db, project_id, target.name, part, keys)
    if not item_ids:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[i] for i in item_ids])


def _present(db: Session, project_id: int, ids: list[int]) -> set[int]:
    present: set[int] = set()
    for start in range(0, len(ids), store.CHUNK):
        chunk = ids[start : start + store.CHUNK]
        present.update(db.scalars(select(Item.id).where(Item.project_id == project_id, Item.id.in_(chunk))))
    return present
