"""Duplicate detection over texts and their vectors, pure (no database): exact (a normalised hash), near
(MinHash LSH over word shingles, Jaccard) and semantic (cosine of embeddings). Each candidate is checked
against a reference set (what a project already holds) and against the candidates kept before it, so the
first of several duplicates survives and the rest name it as their match."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from datasketch import MinHash, MinHashLSH

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")

EXACT, NEAR, SEMANTIC = "exact", "near", "semantic"
KEPT_CHUNK = 16384
SKETCH_CHUNK = 4096


@dataclass(frozen=True)
class Thresholds:
    near: float = 0.7
    """Jaccard similarity of word shingles at or above which two texts are near-duplicates."""
    semantic: float = 0.92
    """Cosine similarity of embeddings at or above which two texts say the same thing."""
    shingle: int = 3
    num_perm: int = 128


Nearest = tuple[float, int, bool]


@dataclass(frozen=True)
class Verdict:
    """One candidate's outcome: ``reason`` is None for a survivor; ``match`` indexes the reference set
    when ``match_is_reference``, else an earlier candidate. ``nearest`` is each stage's best match seen as
    (score, index, is-reference)
    (kept for provenance even when no stage rejected)."""

    reason: str | None
    score: float | None
    match: int | None
    match_is_reference: bool
    nearest: dict[str, Nearest]


def normalise(text: str) -> str:
    """Casefolded, punctuation dropped, whitespace collapsed: what the exact stage compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", folded)).strip()


def exact_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def shingles(text: str, size: int) -> set[str]:
    words = normalise(text).split()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), so a dot product is the cosine."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=np.float64), where=norms > 0)
    return out


def dedup(
    candidates: Sequence[str],
    reference: Sequence[str] = (),
    *,
    vectors: np.ndarray | None = None,
    reference_vectors: np.ndarray | None = None,
    thresholds: Thresholds = Thresholds(),
    block: int = 512,
) -> list[Verdict]:
    """A verdict per candidate, in order. Without ``vectors`` the semantic stage is skipped. Exact and near
    run first over all candidates, then the semantic stage over their survivors in blocks of ``block``
    (one matrix product each), so the cost is a few BLAS calls rather than a Python loop over pairs."""
    if vectors is not None and len(vectors) != len(candidates):
        raise ValueError("one vector per candidate")
    verdicts: list[Verdict | None] = [None] * len(candidates)
    nearest: list[dict[str, Nearest]] = [{} for _ in candidates]
    exact: dict[str, tuple[int, bool]] = {}
    for i, text in enumerate(reference):
        exact.setdefault(exact_key(text), (i, True))
    lsh = MinHashLSH(threshold=thresholds.near, num_perm=thresholds.num_perm)
    # Shingles kept as sorted hash arrays (a tenth of the memory of string sets) for the exact Jaccard.
    sets: dict[str, np.ndarray] = {}
    for i, (own, m) in _sketched(reference, thresholds):
        sets[f"r{i}"] = own
        lsh.insert(f"r{i}", m)
    for i, (own, m) in _sketched(candidates, thresholds):
        key = exact_key(candidates[i])
        found = exact.get(key)
        if found is not None:
            verdicts[i] = Verdict(EXACT, 1.0, found[0], found[1], {EXACT: (1.0, *found)})
            continue
        # LSH proposes; the true Jaccard of the shingle sets decides (no false positive from a sketch).
        best = max(((jaccard(own, sets[k]), k) for k in lsh.query(m)), default=None)
        if best is not None:
            score, name = round(best[0], 4), best[1]
            nearest[i][NEAR] = (score, int(name[1:]), name[0] == "r")
            if score >= thresholds.near:
                verdicts[i] = Verdict(NEAR, score, int(name[1:]), name[0] == "r", nearest[i])
                continue
        exact[key] = (i, False)
        sets[f"c{i}"] = own
        lsh.insert(f"c{i}", m)
    if vectors is not None:
        _semantic(verdicts, nearest, np.asarray(vectors), reference_vectors, thresholds.semantic, block)
    return [v or Verdict(None, None, None, False, nearest[i]) for i, v in enumerate(verdicts)]


def _sketched(
    texts: Sequence[str], thresholds: Thresholds
) -> Iterator[tuple[int, tuple[np.ndarray, MinHash]]]:
    """Each text's shingles and MinHash, computed a slice at a time: ``bulk`` shares one set of permutations
    (building them per sketch costs more than hashing), and only a slice of sketches is alive at once (the
    LSH index keeps just their band hashes)."""
    for start in range(0, len(texts), SKETCH_CHUNK):
        own = [shingles(t, thresholds.shingle) for t in texts[start : start + SKETCH_CHUNK]]
        found = MinHash.bulk([[s.encode() for s in o] for o in own], num_perm=thresholds.num_perm, seed=1)
        hashed = [np.sort(np.fromiter((hash(x) for x in o), dtype=np.int64, count=len(o))) for o in own]
        yield from enumerate(zip(hashed, cast(list[MinHash], found), strict=True), start)


def _semantic(
    verdicts: list[Verdict | None],
    nearest: list[dict[str, Nearest]],
    vectors: np.ndarray,
    reference_vectors: np.ndarray | None,
    threshold: float,
    block: int,
) -> None:
    units = unit_rows(vectors.astype(np.float32))
    ref = (
        unit_rows(np.asarray(reference_vectors, dtype=np.float32)) if reference_vectors is not None else None
    )
    alive = [i for i, v in enumerate(verdicts) if v is None]
    kept: list[int] = []
    for start in range(0, len(alive), block):
        rows = alive[start : start + block]
        here = units[rows]
        best = _Best(len(rows))
        if ref is not None:
            best.update(here, ref, np.arange(len(ref)), True)
        best.update(here, units, np.asarray(kept, dtype=np.int64), False)
        # Within the block, one by one: a row may only match rows of the block kept before it.
        inner = here @ here.T
        kept_here: list[int] = []
        for r, i in enumerate(rows):
            score, match, is_ref = float(best.score[r]), int(best.where[r]), bool(best.is_ref[r])
            if kept_here:
                k = kept_here[int(np.argmax(inner[r, kept_here]))]
                if float(inner[r, k]) > score:
                    score, match, is_ref = float(inner[r, k]), rows[k], False
            if match >= 0:
                nearest[i][SEMANTIC] = (round(score, 4), match, is_ref)
            if match >= 0 and score >= threshold:
                verdicts[i] = Verdict(SEMANTIC, round(score, 4), match, is_ref, nearest[i])
            else:
                kept_here.append(r)
        kept.extend(rows[r] for r in kept_here)


class _Best:
    """Each row's most similar vector so far: its cosine, index, and whether it is a reference vector."""

    def __init__(self, n: int) -> None:
        self.score = np.full(n, -np.inf, dtype=np.float32)
        self.where = np.full(n, -1, dtype=np.int64)
        self.is_ref = np.zeros(n, dtype=bool)

    def update(self, here: np.ndarray, matrix: np.ndarray, ids: np.ndarray, is_ref: bool) -> None:
        # In slices of columns, so the similarity block stays small however many vectors there are.
        for lo in range(0, len(ids), KEPT_CHUNK):
            cols = ids[lo : lo + KEPT_CHUNK]
            sims = here @ matrix[cols].T
            j = sims.argmax(1)
            top = sims[np.arange(len(here)), j]
            better = top > self.score
            self.score = np.where(better, top, self.score)
            self.where = np.where(better, cols[j], self.where)
            self.is_ref = np.where(better, is_ref, self.is_ref)
