"""Pair choice from K samples: of a prompt's generations, the pair the current reward model is least sure
of (``quorum.core.reward.pairs.least_sure_pair``). Used by candidate generation's ``least_sure`` pairing;
with no trained version there is no chooser and generation falls back to random pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from quorum.embeddings import texts
from quorum.models import Generation, Item, Project
from quorum.reward import features_store, versions

# Given a prompt item and its generations, the indexes of the two to compare.
Chooser = Callable[[Item, Sequence[Generation]], tuple[int, int]]


def chooser(
    db: Session,
    project: Project,
    items: Sequence[Item],
    generations: dict[int, list[Generation]],
    *,
    job_id: int | None,
    allow_link_local: bool,
) -> Chooser | None:
    """A chooser backed by the project's current reward model, its embeddings computed for every prompt
    and generation at once; None when the project has no trained version."""
    model = versions.latest(db, project)
    if model is None or not items:
        return None
    from quorum.reward import engine  # NumPy and SciPy only when a pairing needs them

    ensemble = engine.from_json(model.ensemble)
    prompts = [texts.text(item.payload, texts.PROMPT) or "" for item in items]
    samples = [g.text for item in items for g in generations.get(item.id, [])]
    vectors = features_store.embed(
        db, model.embedding_model, prompts + samples, job_id=job_id, allow_link_local=allow_link_local
    )
    prompt_row = {item.id: i for i, item in enumerate(items)}
    gen_row: dict[int, int] = {}
    at = len(prompts)
    for item in items:
        for g in generations.get(item.id, []):
            gen_row[g.id] = at
            at += 1

    def choose(item: Item, gens: Sequence[Generation]) -> tuple[int, int]:
        candidates = vectors[[gen_row[g.id] for g in gens]]
        return engine.least_sure_pair(ensemble, candidates, vectors[prompt_row[item.id]])

    return choose
