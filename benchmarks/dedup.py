"""Dedup of synthetic prompts: ``core.dedup`` (exact hash, MinHash LSH, blocked cosine) on 100,000 prompts,
against a brute-force baseline (all-pairs Jaccard and all-pairs cosine) on a 5,000-prompt set, in one run.

    .venv/bin/python benchmarks/dedup.py [--quick]

Data (seeded): prompts of 25-35 words from a 5,000-word vocabulary. Of every 100, 70 are originals and 30
are planted duplicates of an earlier original: 10 exact variants (case, punctuation, spacing changed), 10
near-duplicates (one word replaced), 10 paraphrases (other words, the same meaning). Embeddings are
random-projection vectors, not a language model: each original's meaning is a random 64-dimensional unit
vector, and every duplicate's vector is its original's plus noise (cosine about 0.97); so the semantic
stage is measured on vectors that behave like good embeddings, without a model in the timing. ``--quick``:
20,000 prompts and a 2,000-prompt baseline set.

Recall: the share of planted duplicates rejected, overall and per kind; false positives: originals
rejected. Peak memory: the high-water mark of the resident set during the run minus the resident size
just before it (``/proc/self/clear_refs`` resets the mark; Linux only). Results go to
benchmarks/results/dedup.json (``--quick``: dedup-quick.json); ``dedup_section(quick)`` returns the rows
for another benchmark's table (benchmarks/models.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from quorum.core.dedup import Thresholds, dedup, exact_key, shingles, unit_rows

RESULTS = Path(__file__).resolve().parent / "results"
DIM = 64
THRESHOLDS = Thresholds(near=0.7, semantic=0.9)
KINDS = ("original", "exact", "near", "semantic")


@dataclass
class Data:
    texts: list[str]
    kinds: list[str]
    vectors: np.ndarray


def make(n: int, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(5000)]
    texts: list[str] = []
    kinds: list[str] = []
    meaning: list[np.ndarray] = []
    originals: list[int] = []
    for i in range(n):
        slot = i % 100
        kind = "original" if slot < 70 or not originals else KINDS[1 + (slot - 70) // 10]
        if kind == "original":
            words = list(rng.choice(vocab, size=int(rng.integers(25, 36))))
            texts.append(" ".join(words))
            meaning.append(unit_rows(rng.normal(size=(1, DIM)))[0])
            originals.append(i)
        else:
            source = originals[int(rng.integers(len(originals)))]
            words = texts[source].split()
            if kind == "exact":
                text = "  ".join(w.upper() if rng.random() < 0.3 else w for w in words) + "?!"
            elif kind == "near":
                words[int(rng.integers(len(words)))] = str(rng.choice(vocab))
                text = " ".join(words)
            else:
                text = " ".join(rng.choice(vocab, size=len(words)))
            texts.append(text)
            meaning.append(unit_rows((meaning[source] + rng.normal(scale=0.03, size=DIM))[None, :])[0])
        kinds.append(kind)
    return Data(texts, kinds, np.asarray(meaning, dtype=np.float32))


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def measure(run: Callable[[], list[bool]]) -> tuple[list[bool], float, float]:
    """(rejected flags, seconds, extra peak MiB) of one run, in a forked child so that each run's peak is
    its own (memory a previous run freed stays in the parent's resident set)."""
    parent, child = multiprocessing.get_context("fork").Pipe(duplex=False)

    def body() -> None:
        with contextlib.suppress(OSError):  # not Linux: the peak then includes what came before
            Path("/proc/self/clear_refs").write_text("5")
        before = _rss_kib("VmRSS:")
        start = time.perf_counter()
        rejected = run()
        seconds = time.perf_counter() - start
        child.send((rejected, seconds, max(0, _rss_kib("VmHWM:") - before) / 1024))

    process = multiprocessing.get_context("fork").Process(target=body)
    process.start()
    result: tuple[list[bool], float, float] = parent.recv()
    process.join()
    return result


def ours(data: Data) -> list[bool]:
    verdicts = dedup(data.texts, vectors=data.vectors, thresholds=THRESHOLDS)
    return [v.reason is not None for v in verdicts]


def brute_force(data: Data) -> list[bool]:
    """All pairs: a prompt is a duplicate when any earlier one has its normalised hash, a shingle Jaccard
    at or above the threshold, or a cosine at or above the threshold."""
    n = len(data.texts)
    keys = [exact_key(t) for t in data.texts]
    sets = [shingles(t, THRESHOLDS.shingle) for t in data.texts]
    index: dict[str, int] = {}
    rows, cols = [], []
    for i, own in enumerate(sets):
        for s in own:
            rows.append(i)
            cols.append(index.setdefault(s, len(index)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(index)))
    m.data[:] = 1.0  # a shingle counts once per prompt
    inter = (m @ m.T).toarray()
    sizes = np.asarray(m.sum(axis=1)).ravel()
    jaccard = inter / (sizes[:, None] + sizes[None, :] - inter)
    cosine = data.vectors @ data.vectors.T
    earlier = np.tril(np.ones((n, n), dtype=bool), k=-1)
    dup = ((jaccard >= THRESHOLDS.near) | (cosine >= THRESHOLDS.semantic)) & earlier
    seen: set[str] = set()
    out = []
    for i in range(n):
        out.append(keys[i] in seen or bool(dup[i].any()))
        seen.add(keys[i])
    return out


def _row(case: str, data: Data, rejected: list[bool], seconds: float, peak: float) -> dict[str, Any]:
    kinds = np.asarray(data.kinds)
    flags = np.asarray(rejected)
    planted = kinds != "original"
    row: dict[str, Any] = {
        "case": case,
        "prompts": len(data.texts),
        "seconds": round(seconds, 2),
        "prompts_per_s": round(len(data.texts) / seconds),
        "peak_mib": round(peak, 1),
        "recall": round(float(flags[planted].mean()), 4),
    }
    for kind in KINDS[1:]:
        row[f"recall_{kind}"] = round(float(flags[kinds == kind].mean()), 4)
    row["false_positive_rate"] = round(float(flags[~planted].mean()), 5)
    return row


def dedup_section(quick: bool) -> list[dict[str, Any]]:
    """Rows of the dedup table: ours on the large set, ours and brute force on the baseline set."""
    big, small = (20_000, 2_000) if quick else (100_000, 5_000)
    large, base = make(big, seed=1), make(small, seed=2)
    rows = [_row(f"ours (MinHash LSH + blocked cosine), {big:,}", large, *measure(lambda: ours(large)))]
    rows.append(_row(f"ours, {small:,}", base, *measure(lambda: ours(base))))
    rows.append(_row(f"brute force (all pairs), {small:,}", base, *measure(lambda: brute_force(base))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20k prompts and a 2k baseline")
    args = parser.parse_args()
    rows = dedup_section(args.quick)
    columns = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in rows:
        print("  ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)))
    report = {
        "when": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "embeddings": f"random-projection vectors, {DIM} dimensions (no language model)",
        "thresholds": {"near": THRESHOLDS.near, "semantic": THRESHOLDS.semantic},
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / ("dedup-quick.json" if args.quick else "dedup.json")
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
