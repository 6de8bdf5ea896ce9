"""Bradley-Terry features from embeddings.

A response's reward is linear in ``phi(p, r) = [r, p * r]`` (the response embedding and its elementwise
product with the prompt embedding, so a response can be good for one prompt and bad for another); the
prompt alone cancels in a comparison, so it is left out. A pair's feature is the difference
``phi(p, a) - phi(p, b)``: the model says "a is preferred" with probability ``sigmoid(w . diff)``.
Swapping a and b negates the feature, so the preference flips exactly (no position term).

Shapes: ``prompt_vecs``, ``a_vecs``, ``b_vecs`` are ``(n, d)`` (or ``(d,)`` for one row); features are
``(n, 2 d)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quorum.errors import Invalid, field_error

FloatArray = NDArray[np.float64]


def _rows(vecs: ArrayLike, field: str) -> FloatArray:
    array = np.asarray(vecs, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] == 0:
        raise Invalid(f"{field} must be a matrix of embeddings", [field_error(field, "expected (n, d)")])
    if not np.isfinite(array).all():
        raise Invalid(f"{field} holds a value that is not finite", [field_error(field, "not finite")])
    return array


def _same_shape(prompt: FloatArray, response: FloatArray, field: str) -> None:
    if prompt.shape != response.shape:
        raise Invalid(
            f"{field} has shape {response.shape}, the prompts {prompt.shape}",
            [field_error(field, "must have the prompts' shape")],
        )


def response_features(prompt_vecs: ArrayLike, response_vecs: ArrayLike) -> FloatArray:
    """``phi(p, r)`` per row: what a single response's reward is linear in (``Ensemble.reward``)."""
    prompt, response = _rows(prompt_vecs, "prompt_vecs"), _rows(response_vecs, "response_vecs")
    _same_shape(prompt, response, "response_vecs")
    return np.hstack([response, prompt * response])


def pair_features(prompt_vecs: ArrayLike, a_vecs: ArrayLike, b_vecs: ArrayLike) -> FloatArray:
    """``phi(p, a) - phi(p, b)`` per row: the feature of "a is preferred to b"."""
    prompt = _rows(prompt_vecs, "prompt_vecs")
    a, b = _rows(a_vecs, "a_vecs"), _rows(b_vecs, "b_vecs")
    _same_shape(prompt, a, "a_vecs")
    _same_shape(prompt, b, "b_vecs")
    delta = a - b
    return np.hstack([delta, prompt * delta])
