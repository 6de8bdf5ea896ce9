"""The batch function of the ``embed`` job: top-level and over plain values, so any executor can run it
in this process or in a Ray worker (which loads the local model once, like any process)."""

from __future__ import annotations

from dataclasses import dataclass

from quorum.providers.base import EmbedResult
from quorum.providers.service import Sent, Target, send_embed


@dataclass(frozen=True)
class EmbedBatch:
    target: Target
    texts: tuple[str, ...]
    allow_link_local: bool = False


def embed_batch(batch: EmbedBatch) -> Sent[EmbedResult]:
    """The batch's vectors, or its error (never raised): the caller records the call either way."""
    return send_embed(batch.target, batch.texts, allow_link_local=batch.allow_link_local)
