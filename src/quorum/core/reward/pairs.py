"""Which pair to build out of K sampled responses to one prompt: the one the ensemble is least sure of.

``least_sure_pair(candidate_vecs, prompt_vec, ens)`` scores every unordered pair ``(i, j)``, ``i < j``, of
the ``K`` candidates' embeddings (``(K, d)``) with ``features.pair_features`` and returns the pair of
largest ensemble disagreement (BALD mutual information), ties broken by the smaller margin, then by the
first pair. ``pair_scores`` gives every pair with its ``ScoreSet`` for a caller that wants more.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.core.reward.features import pair_features
from quorum.core.reward.model import Ensemble, ScoreSet
from quorum.errors import Invalid, field_error

IntArray = NDArray[np.int64]


def pair_scores(candidate_vecs: ArrayLike, prompt_vec: ArrayLike, ens: Ensemble) -> tuple[IntArray, ScoreSet]:
    """``(pairs, scores)``: ``pairs`` is ``(K (K - 1) / 2, 2)`` index pairs, ``scores`` their ScoreSet."""
    candidates = np.asarray(candidate_vecs, dtype=np.float64)
    prompt = np.asarray(prompt_vec, dtype=np.float64).reshape(-1)
    if candidates.ndim != 2 or candidates.shape[0] < 2:
        raise Invalid(
            "at least two candidates are needed to build a pair",
            [field_error("candidate_vecs", "expected (K, d) with K >= 2")],
        )
    if prompt.shape[0] != candidates.shape[1]:
        raise Invalid(
            "the prompt's embedding and the candidates' have different sizes",
            [field_error("prompt_vec", f"expected {candidates.shape[1]} values")],
        )
    i, j = np.triu_indices(candidates.shape[0], k=1)
    pairs = np.stack([i, j], axis=1).astype(np.int64)
    prompts = np.broadcast_to(prompt, (len(i), prompt.shape[0]))
    return pairs, ens.predict(pair_features(prompts, candidates[i], candidates[j]))


def least_sure_pair(candidate_vecs: ArrayLike, prompt_vec: ArrayLike, ens: Ensemble) -> tuple[int, int]:
    pairs, scores = pair_scores(candidate_vecs, prompt_vec, ens)
    best = int(np.lexsort((np.arange(len(pairs)), scores.margin, -scores.mutual_information))[0])
    return int(pairs[best, 0]), int(pairs[best, 1])
