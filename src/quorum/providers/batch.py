"""Batch model work: many calls sent at once, with no transaction open, results in input order. Every job
that calls a model many times goes through here, so concurrency, limits and the ledger behave the same for
generation, synthetic prompts, suggestions and scoring. In-process threads: a model call waits on the
network, not the CPU, and each model's own limits (``providers.limits``) still hold across threads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from quorum.providers.base import ChatResult, EmbedResult
from quorum.providers.service import Sent, Target, send_chat, send_embed

T = TypeVar("T")


@dataclass(frozen=True)
class ChatCall:
    target: Target
    messages: Sequence[Mapping[str, Any]]
    params: Mapping[str, Any] = field(default_factory=dict)


def send_chats(
    calls: Sequence[ChatCall], *, concurrency: int, allow_link_local: bool
) -> list[Sent[ChatResult]]:
    """Each call's result or error (never raised), in the order of ``calls``; ``record`` them afterwards
    inside the unit of work that writes what they produced."""

    def one(call: ChatCall) -> Sent[ChatResult]:
        return send_chat(call.target, call.messages, call.params, allow_link_local=allow_link_local)

    if concurrency <= 1 or len(calls) <= 1:
        return [one(call) for call in calls]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(calls))) as pool:
        return list(pool.map(one, calls))


def send_embeds(
    target: Target, texts: Sequence[str], *, batch_size: int, concurrency: int, allow_link_local: bool
) -> list[Sent[EmbedResult]]:
    """``texts`` embedded in batches of ``batch_size``, one result per batch, in order."""
    chunks = list(batched(texts, batch_size))

    def one(chunk: list[str]) -> Sent[EmbedResult]:
        return send_embed(target, chunk, allow_link_local=allow_link_local)

    if concurrency <= 1 or len(chunks) <= 1:
        return [one(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(chunks))) as pool:
        return list(pool.map(one, chunks))


def batched(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """``itertools.batched`` (Python 3.12) as lists."""
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(values)
    while chunk := list(islice(it, size)):
        yield chunk
