"""Any server that speaks the OpenAI chat-completions and embeddings protocol (hosted APIs, vLLM,
llama.cpp server, Ollama), through the ``openai`` SDK with its own retries off: ours are bounded, honour
Retry-After, and name the model in every error."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk

from quorum.errors import BadGateway, QuorumError, Unavailable
from quorum.providers.base import ChatResult, Connection, EmbedResult, OnToken, Provider
from quorum.providers.retry import Sleep, parse_retry_after, sleep

KIND = "openai"
# Local servers (vLLM, Ollama) need no key, but the SDK refuses to start without one.
NO_KEY = "no-key"

T = TypeVar("T")
# Keep-alive connections per client: enough for a batch's threads to reuse theirs instead of reconnecting.
KEEPALIVE = 64
CHAT_PATH = "/chat/completions"


_building = threading.Lock()


def client_for(base_url: str, api_key: str, timeout_s: float) -> openai.OpenAI:
    """One SDK client (and its connection pool) per server and key, shared by every call and thread:
    building one costs about 20 ms of CPU (its TLS context), more than the bookkeeping of a whole batch.
    Built under a lock, or a batch's threads, all missing the cache at once, would each build their own.
    The key is held as long as the client is; a changed key in the environment makes a new client."""
    with _building:
        return _client(base_url, api_key, timeout_s)


@functools.lru_cache(maxsize=64)
def _client(base_url: str, api_key: str, timeout_s: float) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout_s,
        max_retries=0,
        http_client=openai.DefaultHttpxClient(
            limits=httpx2.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE)
        ),
    )


@dataclass
class _Stream:
    """A streamed answer being read: its chunks, and what the chunks read so far said."""

    chunks: Iterator[ChatCompletionChunk]
    first: str | None = None
    """The first non-empty piece, read before the stream counts as started (retries end there)."""
    pieces: list[str] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    raw_model: str = ""

    def read(self, chunk: ChatCompletionChunk) -> str:
        self.raw_model = chunk.model or self.raw_model
        if chunk.usage is not None:
            self.tokens_in, self.tokens_out = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
        return "".join(c.delta.content or "" for c in chunk.choices)


class OpenAICompatible:
    def __init__(self, connection: Connection, wait: Sleep = sleep) -> None:
        self.connection = connection
        self.policy = connection.retry
        self.wait = wait
        self.attempts = 0
        """Tries made by the last call (1 when the first succeeded)."""
        self._client = client_for(connection.base_url, connection.api_key or NO_KEY, connection.timeout_s)

    def chat(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> ChatResult:
        start = time.perf_counter()
        # The SDK's own ``post`` with our body as it is and the raw JSON back: ``chat.completions.create``
        # walks the body through its typed-dict transform and builds pydantic objects from the reply, which
        # together cost more CPU than the rest of a call's bookkeeping in a batch job of thousands of calls.
        # Authentication, timeouts and errors (``openai.APIStatusError`` and the rest) are the SDK's, as before.
        body = {**params, "model": self.connection.remote_model, "messages": list(messages)}
        try:
            done = self._with_retries(
                lambda: self._client.post(CHAT_PATH, body=body, cast_to=httpx2.Response).json()
            )
        except ValueError:
            c = self.connection
            raise BadGateway(
                f"model {c.name!r}: {c.base_url} answered with something that is not JSON"
            ) from None
        try:
            choices = done.get("choices") or []
            message = (choices[0].get("message") or {}) if choices else {}
            usage = done.get("usage") or {}
            return ChatResult(
                text=str(message.get("content") or ""),
                tokens_in=int(usage.get("prompt_tokens") or 0),
                tokens_out=int(usage.get("completion_tokens") or 0),
                latency_ms=(time.perf_counter() - start) * 1000,
                raw_model=str(done.get("model") or ""),
            )
        except (AttributeError, TypeError, ValueError, IndexError):
            # Not the chat-completions shape (a proxy's error page in JSON, a different protocol).
            raise BadGateway(
                f"model {self.connection.name!r}: {self.connection.base_url} sent an unexpected reply"
            ) from None

    def chat_stream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], on_token: OnToken
    ) -> ChatResult:
        start = time.perf_counter()
        stream = self._with_retries(lambda: self._open_stream(messages, params))
        first_token_ms = (time.perf_counter() - start) * 1000
        try:
            if stream.first is not None:
                stream.pieces.append(stream.first)
                on_token(stream.first)
            for chunk in stream.chunks:
                if piece := stream.read(chunk):
                    stream.pieces.append(piece)
                    on_token(piece)
        except openai.OpenAIError as exc:
            # Not retried: the caller has shown the pieces already, and a new answer would not match them.
            raise BadGateway(
                f"model {self.connection.name!r}: the stream from {self.connection.base_url} broke after "
                f"{len(stream.pieces)} pieces ({type(exc).__name__})"
            ) from None
        return ChatResult(
            text="".join(stream.pieces),
            tokens_in=stream.tokens_in,
            tokens_out=stream.tokens_out,
            latency_ms=(time.perf_counter() - start) * 1000,
            raw_model=stream.raw_model,
            first_token_ms=first_token_ms if stream.pieces else None,
        )

    def _open_stream(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> _Stream:
        chunks = self._client.chat.completions.create(
            model=self.connection.remote_model,
            messages=cast(Any, list(messages)),
            stream=True,
            stream_options={"include_usage": True},
            **dict(params),
        )
        stream = _Stream(iter(chunks))
        for chunk in stream.chunks:
            if piece := stream.read(chunk):
                stream.first = piece
                break
        return stream

    def embed(self, texts: Sequence[str]) -> EmbedResult:
        start = time.perf_counter()
        done = self._with_retries(
            lambda: self._client.embeddings.create(model=self.connection.remote_model, input=list(texts))
        )
        ordered = sorted(done.data, key=lambda d: d.index)
        return EmbedResult(
            vectors=[list(d.embedding) for d in ordered],
            tokens_in=done.usage.prompt_tokens if done.usage else 0,
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def _with_retries(self, send: Callable[[], T]) -> T:
        self.attempts = 0
        while True:
            self.attempts += 1
            try:
                return send()
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError) as exc:
                if self.attempts >= self.policy.attempts:
                    raise self._final(exc) from None
                retry_after = None
                if isinstance(exc, openai.APIStatusError):
                    retry_after = parse_retry_after(dict(exc.response.headers))
                self.wait(self.policy.delay(self.attempts, retry_after))
            except openai.OpenAIError as exc:
                raise self._final(exc) from None

    def _final(self, exc: openai.OpenAIError) -> QuorumError:
        """The error users see: what went wrong, for which model, and what to check (never the key)."""
        name, url, remote = self.connection.name, self.connection.base_url, self.connection.remote_model
        tries = f" after {self.attempts} tries" if self.attempts > 1 else ""
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return BadGateway(
                f"model {name!r}: {url} refused the API key ({exc.status_code}); check the key's "
                f"environment variable, or store it again (quorum model set-key {name})"
            )
        if isinstance(exc, openai.NotFoundError):
            return BadGateway(f"model {name!r}: {url} does not serve model {remote!r} (404)")
        if isinstance(exc, openai.RateLimitError):
            return Unavailable(f"model {name!r}: still rate limited (429){tries}")
        if isinstance(exc, openai.APITimeoutError):
            return BadGateway(
                f"model {name!r}: {url} did not answer in {self.connection.timeout_s:g}s{tries}"
            )
        if isinstance(exc, openai.APIConnectionError):
            return BadGateway(f"model {name!r}: cannot reach {url}")
        if isinstance(exc, openai.APIStatusError):
            return BadGateway(f"model {name!r}: {url} answered {exc.status_code}{tries}")
        return BadGateway(f"model {name!r}: {type(exc).__name__} from {url}")


def register_models(register: Callable[[str, Callable[[Connection], Provider]], None]) -> None:
    register(KIND, OpenAICompatible)
