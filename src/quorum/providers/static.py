"""The fast embedding path: WordLlama's static token embeddings (``l2_supercat``, 256 dimensions), whose
weights and tokenizer ship inside the ``wordllama`` wheel. A static model looks each token up and averages,
so it embeds about fifty times faster than MiniLM on one core, with less meaning per vector. Loaded from the
package's own files: ``WordLlama.load`` looks for the tokenizer in a folder the wheel does not have and
then downloads it, which here (offline) fails."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

WORDLLAMA = "wordllama-l2-256"
DIMENSIONS = 256
CONFIG = "l2_supercat"
CHUNK = 256

_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def load(remote_model: str) -> tuple[Any, np.ndarray]:
    """The tokenizer and the token table (float32, one row per token) for ``remote_model``, loaded once
    per process (0.1 s)."""
    with _lock:
        if remote_model not in _loaded:
            # One thread, as the local MiniLM keeps to: a batch must not take every core from the requests
            # and jobs beside it (read by the tokenizers library when it first runs in parallel).
            os.environ["TOKENIZERS_PARALLELISM"] = "false"
            import wordllama
            from safetensors import safe_open
            from tokenizers import Tokenizer

            root = Path(wordllama.__file__).parent
            tokenizer = Tokenizer.from_file(str(root / "tokenizers" / f"{CONFIG}_tokenizer_config.json"))
            tokenizer.no_padding()
            tokenizer.no_truncation()
            weights = root / "weights" / f"{CONFIG}_{DIMENSIONS}.safetensors"
            with safe_open(str(weights), framework="np", device="cpu") as f:
                # float32 once (32 MB): converting each looked-up chunk from float16 cost a third of the time.
                table = f.get_tensor("embedding.weight").astype(np.float32)
            _loaded[remote_model] = (tokenizer, table)
        return _loaded[remote_model]  # type: ignore[no-any-return]


def embed(remote_model: str, texts: Sequence[str]) -> tuple[np.ndarray, int]:
    """Unit vectors (float32, one row per text; an empty text gives zeros) and the tokens read: the mean
    of each text's token vectors, as ``WordLlamaInference.embed`` computes it. As a sparse (texts x vocab)
    count matrix times the table: no padding (one long text padded its whole chunk to its length) and no
    gathered (tokens x dim) copy, which cost more than the tokenizer."""
    from scipy.sparse import csr_matrix

    tokenizer, table = load(remote_model)
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    tokens = 0
    for start in range(0, len(texts), CHUNK):
        encoded = tokenizer.encode_batch(list(texts[start : start + CHUNK]), add_special_tokens=False)
        lengths = np.array([len(e.ids) for e in encoded], dtype=np.int64)
        ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encoded] + [np.zeros(0, np.int64)])
        np.clip(ids, 0, table.shape[0] - 1, out=ids)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = csr_matrix(
            (np.ones(len(ids), dtype=np.float32), ids, indptr), shape=(len(encoded), table.shape[0])
        )
        mean = np.asarray(counts @ table) / np.maximum(lengths, 1)[:, None]
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        out[start : start + len(encoded)] = mean / np.where(norms > 0, norms, 1.0)
        tokens += int(lengths.sum())
    return out, tokens
