"""The provider interface every model connection implements: chat generation and embeddings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from quorum.providers.retry import DEFAULT_POLICY, RetryPolicy


@dataclass(frozen=True)
class ChatResult:
    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    raw_model: str
    """The model name the server says answered (may differ from the one asked for, e.g. a dated alias)."""
    first_token_ms: float | None = None
    """Streamed calls only: the wait until the first token arrived (retries included)."""


@dataclass(frozen=True)
class EmbedResult:
    vectors: list[list[float]]
    tokens_in: int
    latency_ms: float


@dataclass(frozen=True)
class Connection:
    """What a provider needs to reach one model; the key is read from the environment just before."""

    name: str
    base_url: str
    remote_model: str
    api_key: str | None = field(repr=False)
    timeout_s: float = 60.0
    retry: RetryPolicy = DEFAULT_POLICY


OnToken = Callable[[str], None]
"""Called with each piece of a streamed answer as it arrives."""


class Provider(Protocol):
    """One connection to one model. Errors are ``quorum.errors`` errors naming the model."""

    def chat(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> ChatResult: ...

    def chat_stream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], on_token: OnToken
    ) -> ChatResult:
        """The answer piece by piece through ``on_token``; retried like ``chat`` only before the first piece
        (after it, a retry would repeat text the caller has already shown)."""
        ...

    def embed(self, texts: Sequence[str]) -> EmbedResult: ...
