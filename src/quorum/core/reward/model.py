"""An ensemble of Bradley-Terry heads: logistic regression without intercept on pair features.

``fit(diff, y)`` trains ``heads`` heads, each on a bootstrap resample of the comparisons (a weight per
comparison, how often it was drawn, times its own weight, e.g. the annotators' strength); head h says
"a is preferred" with probability ``sigmoid(w_h . diff / scale)``. Features are divided by their
root-mean-square on the training set (no centring: that would add a position term and break the
antisymmetry of a swap). The loss is the weighted log-loss plus ``l2 / 2 * |w|^2`` per head, one L-BFGS
run over all heads at once (they are independent, so the joint optimum is each head's own): 20,000
comparisons of 768 features fit in about a second on two cores.

``Ensemble.predict(diff)`` gives a ``ScoreSet``: the ensemble's mean probability, the variance across
heads, BALD's mutual information (entropy of the mean minus the mean entropy: what the heads disagree
on, not what is a coin flip for all of them) and the margin ``|2 p - 1|`` (0 = a coin flip).
``Ensemble.reward(phi)`` scores single responses (``features.response_features``).
``to_json``/``from_json`` round-trip exactly (a reward-model version is stored as this text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

from quorum.errors import Invalid, field_error

FloatArray = NDArray[np.float64]

MIN_LABELS = 10
"""Fewer comparisons than this are refused: a head on a handful of labels only says which were drawn."""
DEFAULT_L2 = 1000.0
"""Tuned on hh-rlhf harmless-base (benchmarks/active.py): strong, since the signal in embedding
differences is weak and a few hundred labels must not fit hundreds of weights."""
FORMAT = "quorum.bt-ensemble/1"
_EPS = 1e-12


@dataclass(frozen=True)
class ScoreSet:
    """One value per scored pair (all arrays of shape ``(n,)``)."""

    mean_p: FloatArray
    """The ensemble's probability that a is preferred."""
    var: FloatArray
    """Variance of the heads' probabilities."""
    mutual_information: FloatArray
    """BALD: entropy of ``mean_p`` minus the heads' mean entropy, in nats (0 when all heads agree)."""
    margin: FloatArray
    """``|2 mean_p - 1|``: 0 for a coin flip, 1 for certainty."""

    def __len__(self) -> int:
        return int(self.mean_p.shape[0])


def _entropy(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1 - _EPS)
    result: FloatArray = -(q * np.log(q) + (1 - q) * np.log1p(-q))
    return result


def _sigmoid(z: FloatArray) -> FloatArray:
    result: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return result


@dataclass(frozen=True)
class Ensemble:
    weights: FloatArray
    """``(heads, dim)``: each head's weights on scaled features."""
    scale: FloatArray
    """``(dim,)``: what features are divided by before the heads see them."""
    l2: float
    seed: int
    n_train: int

    @property
    def heads(self) -> int:
        return int(self.weights.shape[0])

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def _logits(self, features: ArrayLike, field: str) -> FloatArray:
        x = _matrix(features, field, keep_float32=True)
        if x.shape[1] != self.dim:
            raise Invalid(
                f"{field} has {x.shape[1]} features, the model {self.dim}",
                [field_error(field, f"expected {self.dim} features")],
            )
        # The scale folded into the weights: no scaled copy of a large (n, dim) input; float32 input is
        # scored in float32 (100,000 pairs of 768 features are 300 MB in float64).
        effective = (self.weights / self.scale).T.astype(x.dtype)
        logits: FloatArray = (x @ effective).astype(np.float64)
        return logits

    def head_probabilities(self, diff: ArrayLike) -> FloatArray:
        """``(n, heads)``: each head's probability that a is preferred."""
        return _sigmoid(self._logits(diff, "diff"))

    def predict(self, diff: ArrayLike) -> ScoreSet:
        p = self.head_probabilities(diff)
        mean_p: FloatArray = p.mean(axis=1)
        var: FloatArray = p.var(axis=1)
        mi = np.maximum(_entropy(mean_p) - _entropy(p).mean(axis=1), 0.0)
        return ScoreSet(mean_p=mean_p, var=var, mutual_information=mi, margin=np.abs(2 * mean_p - 1))

    def reward(self, phi: ArrayLike) -> FloatArray:
        """The mean head's reward of single responses (``features.response_features``), in logits."""
        result: FloatArray = self._logits(phi, "phi").mean(axis=1)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "l2": self.l2,
            "seed": self.seed,
            "n_train": self.n_train,
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ensemble:
        if data.get("format") != FORMAT:
            raise Invalid("not a stored reward model", [field_error("format", f"expected {FORMAT!r}")])
        try:
            weights = np.asarray(data["weights"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
            l2, seed, n_train = float(data["l2"]), int(data["seed"]), int(data["n_train"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("a stored reward model is incomplete", [field_error("model", str(exc))]) from exc
        if weights.ndim != 2 or scale.shape != (weights.shape[1],) or not (scale > 0).all():
            raise Invalid("a stored reward model has inconsistent shapes", [field_error("weights", "shape")])
        return cls(weights=weights, scale=scale, l2=l2, seed=seed, n_train=n_train)

    @classmethod
    def from_json(cls, text: str | bytes) -> Ensemble:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise Invalid("a stored reward model is not JSON", [field_error("model", str(exc))]) from exc
        if not isinstance(data, dict):
            raise Invalid("a stored reward model is not an object", [field_error("model", "not an object")])
        return cls.from_dict(data)


def _matrix(values: ArrayLike, field: str, *, keep_float32: bool = False) -> FloatArray:
    x = np.asarray(values)
    if not (keep_float32 and x.dtype == np.float32):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise Invalid(f"{field} must be a matrix", [field_error(field, "expected (n, dim)")])
    if not np.isfinite(x).all():
        raise Invalid(f"{field} holds a value that is not finite", [field_error(field, "not finite")])
    return x


def _labels(y: ArrayLike, n: int) -> FloatArray:
    labels = np.asarray(y, dtype=np.float64).reshape(-1)
    if labels.shape != (n,) or not np.isin(labels, (0.0, 1.0)).all():
        raise Invalid("y must be one 0 or 1 per comparison", [field_error("y", "expected 0/1 per row")])
    return labels


def _sample_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise Invalid(
            "weights must be one non-negative number per comparison",
            [field_error("weights", "expected one finite weight >= 0 per row, not all 0")],
        )
    return w


def fit(
    diff: ArrayLike,
    y: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    heads: int = 8,
    seed: int = 0,
    l2: float = DEFAULT_L2,
    min_labels: int = MIN_LABELS,
    bootstrap: bool = True,
    max_iter: int = 300,
) -> Ensemble:
    """Fit ``heads`` Bradley-Terry heads on comparisons ``diff`` (``(n, dim)``), ``y`` 1 where a is preferred.

    ``weights`` (one per comparison, e.g. the strength of the preference) multiply each comparison's
    log-loss. With ``bootstrap`` off every head sees all comparisons (one head is then plain logistic
    regression). The result depends on the inputs and ``seed`` alone.
    """
    x = _matrix(diff, "diff")
    n, dim = x.shape
    if n < min_labels:
        raise Invalid(
            f"{n} comparisons are too few to train a reward model (at least {min_labels})",
            [field_error("labels", f"at least {min_labels} comparisons needed, got {n}")],
        )
    if heads < 1:
        raise Invalid("heads must be at least 1", [field_error("heads", "must be >= 1")])
    if not l2 > 0:
        raise Invalid("l2 must be positive", [field_error("l2", "must be > 0")])
    labels = _labels(y, n)
    base = _sample_weights(weights, n)

    scale = np.sqrt(np.mean(x * x, axis=0))
    scale = np.where(scale > _EPS, scale, 1.0)
    # float32 for the two products per step: five times faster than float64 here, and the loss and the
    # step are still summed in float64.
    xs = (x / scale).astype(np.float32)
    sign = 2 * labels - 1
    rng = np.random.default_rng(seed)
    counts = (
        np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(heads)]).astype(np.float64)
        if bootstrap
        else np.ones((heads, n))
    )
    c = (counts * base).T  # (n, heads)

    # The objective divided by the heads' total weight: the same optimum, and a loss near 1 keeps
    # L-BFGS's tolerances meaningful at any n.
    total = float(c.sum())
    c = c / total
    l2_scaled = l2 / total
    xs_t = xs.T

    def loss_and_grad(flat: FloatArray) -> tuple[float, FloatArray]:
        w = flat.reshape(heads, dim)
        logits = (xs @ w.T.astype(np.float32)).astype(np.float64)
        m = sign[:, None] * logits  # (n, heads): margin of the observed preference
        loss = float((c * np.logaddexp(0.0, -m)).sum() + 0.5 * l2_scaled * (w * w).sum())
        g = -(c * sign[:, None] * _sigmoid(-m))  # d loss / d logit, (n, heads)
        grad = (xs_t @ g.astype(np.float32)).T.astype(np.float64) + l2_scaled * w
        return loss, grad.ravel()

    result = minimize(
        loss_and_grad,
        np.zeros(heads * dim),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-9},
    )
    return Ensemble(
        weights=np.asarray(result.x, dtype=np.float64).reshape(heads, dim),
        scale=scale,
        l2=float(l2),
        seed=int(seed),
        n_train=int(n),
    )
